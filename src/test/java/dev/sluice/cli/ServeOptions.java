package dev.sluice.cli;

import dev.sluice.config.Config;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/** Parses {@code serve} options as the command does: flags, then the given environment, then defaults. */
final class ServeOptions {

    private ServeOptions() {
    }

    static Config parse(Map<String, String> env, String... args) {
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        cli.setDefaultValueProvider(new Defaults(env, new Properties(), "sluice.properties"));
        cli.parseArgs(args);
        return serve.toConfig();
    }
}
