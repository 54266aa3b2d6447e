package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's {@code --help}: each option's default shown once, in its description, and never an empty one. */
class UsageTextTest {
    static List<CommandLine> commands() {
        var all = new ArrayList<CommandLine>();
        var pending = new ArrayList<>(List.of(new CommandLine(new Main())));
        while (!pending.isEmpty()) {
            var c = pending.removeLast();
            if (c.getCommandName().equals("help")) continue;
            all.add(c);
            pending.addAll(c.getSubcommands().values());
        }
        return all;
    }

    @Test
    void everyDefaultShowsOnceAndNoneIsEmpty() {
        var problems = new ArrayList<String>();
        for (CommandLine c : commands()) {
            String name = c.getCommandSpec().qualifiedName(" ");
            String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            usage.lines().filter(l -> l.strip().startsWith("Default:")).forEach(l -> problems.add(name + ": picocli's own default line '"
                    + l.strip() + "' beside the description's"));
            for (String empty : List.of("(default: )", "default: null", "(default: [])", "(default: ${")) {
                if (usage.contains(empty)) problems.add(name + ": an empty default '" + empty + "'");
            }
            for (var o : c.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp() || o.hidden()) continue;
                String text = String.join(" ", o.description()).toLowerCase(Locale.ROOT);
                String dflt = o.defaultValue();
                boolean shown = text.contains("default");
                if (dflt != null && !dflt.isEmpty() && !o.typeInfo().isBoolean() && !shown) {
                    problems.add(name + " " + o.longestName() + ": default '" + dflt + "' not in its description");
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
