package dev.sluice.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Runs every test of the annotated class once per {@link IoKind}; the class receives the kind in a
 * field {@code @Parameter IoKind io;} and starts its gateways with {@code TestHub.start(io, ...)}
 * (or, for a gateway shared by the tests of one kind, {@code TestHub.startIfAvailable}). On a
 * kind this machine cannot run, every test is reported as skipped with the reason.
 *
 * <p>A field named {@code io} hides the {@code io} package from plain names in that class: import
 * Netty or Lettuce types instead of writing {@code io.netty...} in the code.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "[{0}]")
@ArgumentsSource(IoKinds.class)
@ExtendWith(IoKindAvailable.class)
public @interface OnEveryIoKind {
}
