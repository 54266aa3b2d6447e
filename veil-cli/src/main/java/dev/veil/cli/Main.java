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
        OutOfMemory.installHandler();
        var cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("veil: " + message(e));
            if (Boolean.getBoolean("veil.debug")) e.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("veil: " + OutOfMemory.describe(e, Thread.currentThread()));
            return 1;
        }
    }

    static String message(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "file not found: " + e.getMessage();
        if (OutOfMemory.find(e) != null) return OutOfMemory.describe(OutOfMemory.find(e), Thread.currentThread());
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
