package dev.sluice.support;

/** Stands in for the gateway's jar in launcher tests: prints which JDK the launcher ran. */
public final class PrintJavaHome {
    private PrintJavaHome() {}

    public static void main(String[] args) {
        System.out.println(System.getProperty("java.home") + " " + Runtime.version().feature());
    }
}
