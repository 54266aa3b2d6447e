package dev.veil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.ModelLoader;
import org.junit.jupiter.api.Test;

/** What the benches share: the decode's first token, and a bandwidth that is a number of bytes per second. */
class DecodingTest {
    @Test
    void decodeStartsAtBos() throws Exception {
        var m = ModelLoader.load(Shared.storiesBin(), null);
        assertEquals(m.tokenizer().bos(), Decoding.startToken(m));
        assertEquals(1, Decoding.startToken(m));
        // a model without BOS (many BPE GGUFs; here one without a tokenizer) starts at token 0, not at -1
        var bare = dev.veil.engine.InMemoryModels.create(dev.veil.engine.InMemoryModels.llama(), 3);
        assertEquals(0, Decoding.startToken(bare));
    }

    @Test
    void bandwidthReadsTheWholeBuffer() {
        MemoryBandwidth.sink = 0;
        double b = MemoryBandwidth.measure(16 << 20, 2);
        assertTrue(b > 0 && Double.isFinite(b), "bytes per second: " + b); // its size is for veil bench, not a test
        // every byte is 1, so each float read is 0x01010101: the sums cover all 4 Mi floats of the buffer
        double each = Float.intBitsToFloat(0x01010101);
        assertEquals((16 << 20) / 4 * each, MemoryBandwidth.sink, 1e-3 * (16 << 20) / 4 * each);
    }
}
