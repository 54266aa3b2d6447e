package dev.veil.cli;

import dev.veil.cli.cmif.UtilityCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code veil} command (veil.jar, the tools). Errors reach the user as one line on stderr, never a stack trace
 * ({@link Cli}). The trusted node's commands are veil-node.jar's too ({@link NodeMain}).
 */
@Command(name = "veil", mixinStandardHelpOptions = true, version = "veil 0.1.0",
        description = "Confidential LLM inference: masked outsourcing (Talaria/ReMO), sanitized prompts (CMIF), attacks.",
        subcommands = {
                GenerateCommand.class,
                BenchCommand.class,
                ConvertCommand.class,
                MakeModelCommand.class,
                InfoCommand.class,
                WeightsServerCommand.class,
                ExportCommand.class,
                NodeCommand.class,
                ServeCommand.class,
                MeasureCommand.class,
                ProxyCommand.class,
                DemoCommand.class,
                KeysCommand.class,
                UtilityCommand.class,
                AttackCommand.class,
                PrivacyReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs {@code veil ARGS}; serve gets the tools' in-process demo (weights servers here, the attacker's view). */
    public static int run(String... args) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        return Cli.run(new Main(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == ServeCommand.class ? cls.cast(new ServeCommand(new ToolsDemo())) : defaults.create(cls);
            }
        }, args);
    }

    static String message(Throwable e) {
        return Cli.message(e);
    }
}
