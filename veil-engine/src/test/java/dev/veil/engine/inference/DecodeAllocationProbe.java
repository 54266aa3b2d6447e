package dev.veil.engine.inference;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tensor.Lanes;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * Prints the vector width, then one line per KV cache type for a model of the given tensor type: the fewest heap bytes
 * all threads allocated while {@link Forward#next} decoded {@value #TOKENS} tokens, over runs repeated until one
 * allocates less than a byte per token or {@value #MAX_RUNS} have run (see {@link DecodeAllocationTest}). Until C2 has
 * compiled it, vector code runs interpreted or in C1, which box every vector; a per-call allocation in the decode path
 * shows in every run. Each run repeats the same positions, so no per-thread scratch array grows while it is measured.
 * One type per JVM, as in a real process: after another format's runs, C2 may have compiled this one's path into shared
 * methods from a cold profile, leaving a vector helper out of line (boxing its result) for good.
 */
public final class DecodeAllocationProbe {
    static final int TOKENS = 100;
    private static final int MAX_RUNS = 60;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private DecodeAllocationProbe() {}

    /** Arguments: the models' directory, a tensor type. */
    public static void main(String[] args) throws Exception {
        var type = GGMLType.valueOf(args[1]);
        Model m = ModelLoader.load(RandomModels.cached(ModelShape.named("tiny-llama"), type, 5, Path.of(args[0])), null);
        var forward = new Forward(m.config(), m.node(), new LocalLinearOps(m.config(), m.linear()));
        System.out.println("bits " + Lanes.bits());
        for (var kv : KVCache.Type.values()) {
            System.out.println(type + " " + kv + " " + fewestBytes(forward, new KVCache(m.config(), TOKENS, kv)));
        }
    }

    private static String fewestBytes(Forward forward, KVCache cache) {
        long fewest = Long.MAX_VALUE;
        int run = 0;
        while (run < MAX_RUNS && fewest >= TOKENS) {
            long overhead = allocated() - allocated();
            long before = allocated();
            decode(forward, cache);
            fewest = Math.min(fewest, Math.max(0, allocated() - before + overhead));
            run++;
        }
        return "runs " + run + " bytes " + fewest;
    }

    private static int decode(Forward forward, KVCache cache) {
        cache.truncate(0);
        int token = 1;
        for (int i = 0; i < TOKENS; i++) token = argmax(forward.next(token, cache));
        return token;
    }

    private static long allocated() {
        return THREADS.getTotalThreadAllocatedBytes();
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
