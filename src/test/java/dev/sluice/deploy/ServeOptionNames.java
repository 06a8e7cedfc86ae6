package dev.sluice.deploy;

import dev.sluice.cli.Main;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options {@code sluice serve} has, read from its {@code --help} as a user would, so that a
 * deployment file naming an option ({@code --drain-period}) or its variable
 * ({@code SLUICE_DRAIN_PERIOD}) that does not exist is caught.
 */
final class ServeOptionNames {

    private static final Pattern OPTION = Pattern.compile("--(?:\\[no-])?([a-z][a-z0-9-]+)");
    private static Set<String> names;

    private ServeOptionNames() {}

    /** Long option names without the dashes: "history-size". */
    static synchronized Set<String> options() throws Exception {
        if (names == null) {
            Tools.Result help = Tools.run(Duration.ofSeconds(60), List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--help"));
            if (help.exit() != 0) {
                throw new AssertionError("sluice serve --help exited with " + help.exit() + ": " + help.output());
            }
            Set<String> found = new TreeSet<>();
            Matcher m = OPTION.matcher(help.output());
            while (m.find()) {
                found.add(m.group(1));
            }
            names = found;
        }
        return names;
    }

    /** True when NAME is SLUICE_ and an option's name (upper case, dashes as underscores). */
    static boolean isOptionVariable(String name) throws Exception {
        if (!name.startsWith("SLUICE_")) {
            return false;
        }
        String option = name.substring("SLUICE_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return options().contains(option);
    }

    /**
     * The longest a gateway takes to stop after SIGTERM with the given drain delay + period and
     * the default --shutdown-grace (2 s): the README's Graceful drain gives that sum plus about
     * 2 s; whatever stops the process must wait longer.
     */
    static java.time.Duration longestStop(java.time.Duration drainDelayAndPeriod) {
        return drainDelayAndPeriod.plusSeconds(2).plusSeconds(2);
    }

    /** Variables read by the launchers, not by the gateway's options. */
    static boolean isLauncherVariable(String name) {
        return name.equals("SLUICE_JAVA_OPTS");
    }
}
