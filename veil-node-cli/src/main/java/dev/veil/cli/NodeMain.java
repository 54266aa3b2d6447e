package dev.veil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The trusted node jar's command (veil-node.jar): only what runs on the attested machine. The attack lab, the weights
 * server, keys and benches are the tools' (veil.jar), so that the measured code is the node's and no more.
 */
@Command(name = "veil", mixinStandardHelpOptions = true, version = "veil 0.1.0 (trusted node)",
        description = "Veil's trusted node: serve the OpenAI-compatible API or run the node against remote weights servers.",
        subcommands = {ServeCommand.class, NodeCommand.class, MeasureCommand.class, CommandLine.HelpCommand.class})
public final class NodeMain {
    public static void main(String[] args) {
        System.exit(Cli.run(new NodeMain(), CommandLine.defaultFactory(), args));
    }
}
