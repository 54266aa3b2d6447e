package dev.veil.cli;

import dev.veil.engine.tokenizer.Tokenizer;
import dev.veil.node.cmif.CmifNode;
import java.io.PrintStream;

/** What a CMIF request showed the weights server, and what it spent, for stderr. */
final class CmifReport {
    private CmifReport() {}

    static void request(PrintStream err, Tokenizer tok, int[] prompt, CmifNode.Result r) {
        int changed = r.sanitized().changedCount(prompt);
        err.printf("[cmif: the weights server saw \"%s\" (%d of %d prompt tokens replaced); %s]%n",
                tok.decode(r.sanitizedPrompt()).replace("\n", "\\n"), changed, prompt.length, r.sanitized().spendLine());
    }
}
