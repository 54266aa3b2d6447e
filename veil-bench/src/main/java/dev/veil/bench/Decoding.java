package dev.veil.bench;

import dev.veil.engine.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What every decode benchmark shares: where it starts, and how loaded the machine was. */
public final class Decoding {
    private Decoding() {}

    /** Where a decode test starts: BOS, or token 0 for a model without one (many BPE GGUFs have no bos_token_id). */
    public static int startToken(Model m) {
        return m.tokenizer() != null && m.tokenizer().bos() >= 0 ? m.tokenizer().bos() : 0;
    }

    /** The 1-minute load average, which says how much else competed for the cores (Linux only). */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
