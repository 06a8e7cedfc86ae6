package dev.sluice.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option's value comes from when it is not on the command line: the environment variable
 * {@code SLUICE_<OPTION>} (upper case, dashes as underscores), then the config file (a properties
 * file whose keys are option names without the dashes, e.g. {@code history-size = 50000}), then
 * the built-in default. So: flag, then environment, then file, then default.
 */
final class Defaults implements IDefaultValueProvider {

    private final Map<String, String> env;
    private final Properties file;
    private final String fileName;

    Defaults(Map<String, String> env, Properties file, String fileName) {
        this.env = env;
        this.file = file;
        this.fileName = fileName;
    }

    /**
     * Where a value for the option comes from when it is not on the command line: "environment
     * variable SLUICE_X" or "'x' in FILE"; null when it has its built-in default. Error messages
     * name this, so a user looks where the mistake is.
     */
    String source(String longOption) {
        String variable = envName(longOption);
        if (env.get(variable) != null) {
            return "environment variable " + variable;
        }
        String key = longOption.replaceFirst("^--", "");
        if (file.getProperty(key) != null) {
            return "'" + key + "' in " + fileName;
        }
        return null;
    }

    static String envName(String longOption) {
        return "SLUICE_" + longOption.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        // The longest name first; an older, shorter name of the same option still works.
        String[] names = option.names().clone();
        java.util.Arrays.sort(names, java.util.Comparator.comparingInt(String::length).reversed());
        for (String name : names) {
            String fromEnv = env.get(envName(name));
            if (fromEnv != null) {
                return fromEnv;
            }
        }
        for (String name : names) {
            String fromFile = file.getProperty(name.replaceFirst("^--", ""));
            if (fromFile != null) {
                return fromFile;
            }
        }
        return null;
    }

    /** Reads the config file; unknown keys are refused so a typo does not pass silently. */
    static Properties load(Path path, java.util.Set<String> knownKeys, String origin) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": cannot read " + path + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
        for (String key : p.stringPropertyNames()) {
            if (!knownKeys.contains(key)) {
                throw new IllegalArgumentException(origin + ": unknown key '" + key + "' in " + path
                        + " (keys are option names without dashes, e.g. history-size)");
            }
        }
        return p;
    }
}
