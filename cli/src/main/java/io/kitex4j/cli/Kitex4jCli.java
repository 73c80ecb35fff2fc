package io.kitex4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kitex4j}: the operator's tool.
 *
 * <p>Exit status: 0 on success, 2 for a bad flag, an unreachable etcd or any other error, which is
 * printed as one line on stderr (never a stack trace; set {@code KITEX4J_DEBUG=1} to see one).
 */
@Command(name = "kitex4j", mixinStandardHelpOptions = true, version = "kitex4j 0.1.0-SNAPSHOT",
        description = "Kitex mesh tool for Java: list, register and watch Kitex instances in etcd; show and set config-etcd governance keys.",
        subcommands = {LsCommand.class, RegisterCommand.class, WatchCommand.class, ServeCommand.class, CallCommand.class,
            DemoCommand.class, ConfigCommand.class})
public final class Kitex4jCli {

    /** Exit status for every failure. */
    public static final int EXIT_FAILURE = 2;

    private Kitex4jCli() {}

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.err, true)));
    }

    /** Runs a command line and returns its exit status. */
    public static int run(String[] args, PrintWriter err) {
        final CommandLine cmd = new CommandLine(new Kitex4jCli());
        cmd.setErr(err);
        cmd.setParameterExceptionHandler((e, a) -> {
            err.println("kitex4j: " + e.getMessage() + " (see kitex4j " + subcommandName(e.getCommandLine()) + "--help)");
            return EXIT_FAILURE;
        });
        cmd.setExecutionExceptionHandler((e, c, parseResult) -> {
            if (System.getenv("KITEX4J_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.println("kitex4j: " + (e instanceof UsageException ? e.getMessage() : Etcd.rootMessage(e)));
            return EXIT_FAILURE;
        });
        return cmd.execute(args);
    }

    private static String subcommandName(CommandLine c) {
        return c.getParent() == null ? "" : c.getCommandName() + " ";
    }
}
