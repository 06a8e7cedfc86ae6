package dev.sluice.support;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.support.ParameterDeclarations;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;

/**
 * Every {@link IoKind}, as arguments for a parameterized test or class. A kind this machine
 * lacks is still provided, so that the report shows it as skipped with the reason ({@link
 * OnEveryIoKind} skips each such test; {@link TestHub#start(IoKind, java.util.function.Consumer)}
 * does too). Most tests use {@link OnEveryIoKind} rather than this class directly.
 */
public final class IoKinds implements ArgumentsProvider {

    @Override
    public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
        return Arrays.stream(IoKind.values()).map(Arguments::of);
    }
}
