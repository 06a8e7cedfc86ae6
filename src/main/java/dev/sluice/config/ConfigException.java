package dev.sluice.config;

/** Invalid configuration: names the option and says what is wrong, so start-up can stop with it. */
public final class ConfigException extends RuntimeException {
    private final String option;
    private final String reason;

    public ConfigException(String option, String message) {
        super(option + ": " + message);
        this.option = option;
        this.reason = message;
    }

    public String option() {
        return option;
    }

    /** What is wrong, without the option's name (the message is option + ": " + reason). */
    public String reason() {
        return reason;
    }
}
