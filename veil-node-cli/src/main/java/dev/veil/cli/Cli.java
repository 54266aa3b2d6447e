package dev.veil.cli;

import dev.veil.protocol.transport.HttpServerLimits;
import picocli.CommandLine;

/** Runs a veil command line, the tools' or the node jar's: errors reach the user as one line on stderr, never a stack trace. */
final class Cli {
    private Cli() {}

    /** Runs {@code top} (a picocli command) on {@code args}, its subcommands made by {@code factory}; returns the exit code. */
    static int run(Object top, CommandLine.IFactory factory, String... args) {
        OutOfMemory.installHandler();
        HttpServerLimits.applyToProcess(); // the JDK reads them once, at the process's first HTTP server: set them first
        var cli = new CommandLine(top, factory);
        cli.setUsageHelpAutoWidth(true);
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Cli::commandList);
        // A usage error is one line too, with where to read more; never the whole usage text.
        cli.setParameterExceptionHandler((e, args2) -> {
            var cmd = e.getCommandLine();
            cmd.getErr().println("veil: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName(" ") + " --help')");
            return 1;
        });
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

    /**
     * The command list of {@code veil --help}: each command's first sentence, whole (picocli's own list shows the
     * first line of a description written over several lines, cut mid-sentence).
     */
    static String commandList(CommandLine.Help help) {
        int width = help.commandSpec().usageMessage().width(), name = 18;
        var table = CommandLine.Help.TextTable.forColumns(help.colorScheme(),
                new CommandLine.Help.Column(name, 2, CommandLine.Help.Column.Overflow.SPAN),
                new CommandLine.Help.Column(width - name, 2, CommandLine.Help.Column.Overflow.WRAP));
        for (var e : help.subcommands().entrySet()) {
            // picocli formats %n in descriptions itself (its help command's starts with one); this list does not
            String text = String.join(" ", e.getValue().commandSpec().usageMessage().description()).replace("%n", " ").strip();
            int end = text.indexOf(". ");
            table.addRowValues(e.getKey(), end < 0 ? text : text.substring(0, end + 1));
        }
        return table.toString();
    }

    static String message(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException n && n.getFile() != null) {
            var parent = java.nio.file.Path.of(n.getFile()).toAbsolutePath().getParent();
            return parent != null && !java.nio.file.Files.isDirectory(parent) ? "no folder " + parent + " (for " + n.getFile() + ")"
                    : "file not found: " + n.getFile();
        }
        if (OutOfMemory.find(e) != null) return OutOfMemory.describe(OutOfMemory.find(e), Thread.currentThread());
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        // A missing file that some code wrapped without saying so ("cannot read X: X"): say it was not found.
        for (Throwable c = e.getCause(); c != null && !m.contains("not found"); c = c.getCause()) {
            if (c instanceof java.nio.file.NoSuchFileException n && n.getFile() != null) {
                String tail = ": " + n.getMessage();
                return (m.endsWith(tail) ? m.substring(0, m.length() - tail.length()) : m) + ": " + n.getFile() + " not found";
            }
        }
        return m;
    }
}
