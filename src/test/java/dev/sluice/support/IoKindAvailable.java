package dev.sluice.support;

import java.lang.reflect.Field;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips each test of an {@link OnEveryIoKind} class, with the reason, when this machine cannot
 * run the class's current {@link IoKind}: the test is reported as skipped, not failed, and its
 * {@code @BeforeEach} methods do not run. The kind is read from the class's {@code IoKind} field.
 */
final class IoKindAvailable implements BeforeEachCallback {

    @Override
    public void beforeEach(ExtensionContext context) throws IllegalAccessException {
        Object test = context.getRequiredTestInstance();
        for (Class<?> c = test.getClass(); c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() == IoKind.class) {
                    f.setAccessible(true);
                    IoKind io = (IoKind) f.get(test);
                    if (io == null) {
                        throw new IllegalStateException(c.getName() + "." + f.getName() + " holds no I/O kind");
                    }
                    io.assumeAvailable();
                    return;
                }
            }
        }
        throw new IllegalStateException(test.getClass().getName() + " runs on every I/O kind but has no "
                + "'@Parameter IoKind io' field");
    }
}
