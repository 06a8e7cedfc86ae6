package dev.sluice.cli;

import dev.sluice.Gateway;
import dev.sluice.config.ConfigException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code sluice} command: {@code serve}, {@code token}, {@code bench}, {@code demo}. */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0", usageHelpWidth = 120,
        description = {
            "A Mercure-compatible Server-Sent Events push gateway.",
            "",
            "Every option can also be set as an environment variable SLUICE_<OPTION> (e.g. SLUICE_HISTORY_SIZE)",
            "or in a properties file given with --config / SLUICE_CONFIG (e.g. history-size = 50000).",
            "Precedence: command line, then environment, then config file, then default.",
        },
        subcommands = {ServeCommand.class, TokenCommand.class, dev.sluice.bench.BenchCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        Gateway.applyNettyDefaults(); // before anything can load a Netty class
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns the exit code: 0 ok, 1 a failure at run time, 2 a usage
     * or configuration mistake. A mistake is answered with one line on stderr that names the
     * option, or the environment variable or config-file key its value came from; never a stack
     * trace.
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        Properties file = new Properties();
        String configPath = configPath(args);
        String configOrigin = configOnCommandLine(args) ? "--config" : "environment variable SLUICE_CONFIG";
        if (configPath != null) {
            try {
                file = Defaults.load(Path.of(configPath), knownKeys(cli), configOrigin);
            } catch (IllegalArgumentException e) { // also an InvalidPathException
                System.err.println("sluice: " + e.getMessage());
                return 2;
            }
        }
        Defaults defaults = new Defaults(System.getenv(), file, configPath);
        cli.setDefaultValueProvider(defaults);
        cli.setParameterExceptionHandler((ex, ignored) -> {
            System.err.println(prefix(ex.getCommandLine()) + oneLine(parameterMistake(ex, defaults, args)));
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parsed) -> {
            if (ex instanceof ConfigException mistake) {
                String what = mistake.option().startsWith("-")
                        ? where(mistake.option(), defaults, args) + ": " + mistake.reason() : mistake.reason();
                System.err.println(prefix(commandLine) + oneLine(what));
                return 2;
            }
            System.err.println(prefix(commandLine) + "unexpected error (please report it with what follows): " + ex);
            ex.printStackTrace();
            return 1;
        });
        return cli.execute(args);
    }

    private static String prefix(CommandLine commandLine) {
        return commandLine.getCommandSpec().qualifiedName() + ": ";
    }

    private static String oneLine(String message) {
        return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    /** Picocli's message, with the value's real source named and a pointer to --help. */
    private static String parameterMistake(ParameterException ex, Defaults defaults, String[] args) {
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException && ex.getCommandLine().getParent() == null) {
            List<String> unmatched = ((UnmatchedArgumentException) ex).getUnmatched();
            if (!unmatched.isEmpty() && !unmatched.get(0).startsWith("-")) {
                message = "unknown command '" + unmatched.get(0) + "': use serve, token, bench, demo or help";
            }
        }
        if (ex.getArgSpec() instanceof OptionSpec option) {
            String name = option.longestName();
            String where = where(name, defaults, args);
            if (!where.equals(name)) {
                message = message.contains("option '" + name + "'")
                        ? message.replace("option '" + name + "'", where)
                        : message + " (from " + where + ")";
            }
        }
        String help = ex.getCommandLine().getCommandSpec().qualifiedName().replaceFirst("^sluice", "./sluice")
                + " --help";
        return message.strip().replaceFirst("\\.$", "") + " (see " + help + ")";
    }

    /**
     * The option as the user gave it: its name when it is on the command line, else the
     * environment variable or config-file key that set it, followed by the option's name.
     */
    static String where(String option, Defaults defaults, String[] args) {
        String bare = option.replaceFirst("^--", "");
        for (String arg : args) {
            if (arg.equals(option) || arg.startsWith(option + "=") || arg.equals("--no-" + bare)
                    || arg.startsWith("--no-" + bare + "=")) {
                return option;
            }
        }
        String source = defaults.source(option);
        return source == null ? option : source + " (" + option + ")";
    }

    private static boolean configOnCommandLine(String[] args) {
        for (String arg : args) {
            if (arg.equals("--config") || arg.startsWith("--config=")) {
                return true;
            }
        }
        return false;
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
                for (String name : o.names()) {
                    keys.add(name.replaceFirst("^--", ""));
                }
            }
        }
        return keys;
    }
}
