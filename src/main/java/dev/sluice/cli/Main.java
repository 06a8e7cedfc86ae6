package dev.sluice.cli;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The {@code sluice} command: {@code serve}, {@code token}, {@code bench}. */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0", usageHelpWidth = 120,
        description = {
            "A Mercure-compatible Server-Sent Events push gateway.",
            "",
            "Every option can also be set as an environment variable SLUICE_<OPTION> (e.g. SLUICE_HISTORY_SIZE)",
            "or in a properties file given with --config / SLUICE_CONFIG (e.g. history-size = 50000).",
            "Precedence: command line, then environment, then config file, then default.",
        },
        subcommands = {ServeCommand.class, TokenCommand.class, dev.sluice.bench.BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        nettyDefaults();
        System.exit(run(args));
    }

    /**
     * Netty settings for a gateway in production, applied before any Netty class reads them and
     * only where the user set nothing (-D wins). With them the fan-out path allocates nothing per
     * delivery (DispatchAllocationTest): the recyclers' pools grow in chunks of 1024 instead of 32
     * (each new chunk is an allocation while a pool swings between empty and full), and the leak
     * detector does not wrap and trace sampled buffers. Turn it on to debug a leak:
     * {@code SLUICE_JAVA_OPTS=-Dio.netty.leakDetection.level=paranoid}.
     */
    static void nettyDefaults() {
        setIfAbsent("io.netty.recycler.chunkSize", "1024");
        setIfAbsent("io.netty.leakDetection.level", "disabled");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Runs the command line and returns the exit code (0 ok, 2 usage or configuration error). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        Properties file = new Properties();
        String configPath = configPath(args);
        if (configPath != null) {
            try {
                file = Defaults.load(Path.of(configPath), knownKeys(cli));
            } catch (IllegalArgumentException e) {
                System.err.println("sluice: " + e.getMessage());
                return 2;
            }
        }
        cli.setDefaultValueProvider(new Defaults(System.getenv(), file));
        return cli.execute(args);
    }

    /** {@code --config FILE} / {@code --config=FILE} anywhere on the line, else SLUICE_CONFIG. */
    private static String configPath(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--config=")) {
                return args[i].substring("--config=".length());
            }
        }
        return System.getenv("SLUICE_CONFIG");
    }

    private static Set<String> knownKeys(CommandLine cli) {
        Set<String> keys = new HashSet<>();
        for (CommandLine sub : cli.getSubcommands().values()) {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                keys.add(o.longestName().replaceFirst("^--", ""));
            }
        }
        return keys;
    }
}
