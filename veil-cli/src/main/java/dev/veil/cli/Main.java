package dev.veil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code veil} command. Errors reach the user as one line on stderr, never a stack trace. */
@Command(name = "veil", mixinStandardHelpOptions = true, version = "veil 0.1.0",
        description = "Confidential LLM inference: masked outsourcing (Talaria/ReMO), sanitized prompts (CMIF), attacks.",
        subcommands = {
                GenerateCommand.class,
                BenchCommand.class,
                ConvertCommand.class,
                MakeModelCommand.class,
                InfoCommand.class,
                WeightsServerCommand.class,
                NodeCommand.class,
                ServeCommand.class,
                DemoCommand.class,
                UtilityCommand.class,
                AttackCommand.class,
                PrivacyReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        var cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("veil: " + message(e));
            if (Boolean.getBoolean("veil.debug")) e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli.execute(args);
    }

    static String message(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "file not found: " + e.getMessage();
        if (e instanceof OutOfMemoryError) return "out of memory (raise -Xmx via VEIL_JAVA_OPTS)";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
