package dev.sluice.config;

/** Invalid configuration: names the option and says what is wrong, so start-up can stop with it. */
public final class ConfigException extends RuntimeException {
    private final String option;

    public ConfigException(String option, String message) {
        super(option + ": " + message);
        this.option = option;
    }

    public String option() {
        return option;
    }
}
