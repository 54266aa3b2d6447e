package dev.veil.node.remo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wrong model, wrong shape, a server that dies mid-generation: one clear error each, never a hang. */
@Timeout(60)
class FailureTest {
    @Test
    void unknownModelAndMismatchedShapeAreRefused() throws Exception {
        Model stories = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        Model other = InMemoryModels.create(InMemoryModels.llama(), 1);
        var config = RemoConfig.of(MaskSize.fraction(0.25), Numeric.Z64);
        try (var weights = new WeightsServer("stories", stories.config(), stories.linear(), null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null)) {
            var e = assertThrows(ProtocolException.class, () -> RemoNode.connect(stories, "llama-3",
                    TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(5)), config));
            assertEquals(ErrorCode.UNKNOWN_MODEL, e.code());
            // the error names only what the node asked for, never the model served (issue 11)
            assertEquals("weights server: this weights server does not serve model 'llama-3'", e.getMessage());
            var shape = assertThrows(ProtocolException.class, () -> RemoNode.connect(other, "stories",
                    TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(5)), config));
            assertTrue(shape.getMessage().startsWith("weights server's model 'stories' has shape"), shape.getMessage());
        }
    }

    @Test
    void aServerThatDiesMidGenerationFailsTheCallPromptly() throws Exception {
        Model model = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.25), Numeric.FLOAT), null);
        var tokens = new AtomicInteger();
        var e = assertThrows(ProtocolException.class, () -> split.node.generator().generate(new int[] {1}, 50, Sampler.greedy(), t -> {
            if (tokens.incrementAndGet() == 3) split.server.close();
        }));
        assertEquals(ErrorCode.CLOSED, e.code());
        assertTrue(e.getMessage().contains("weights server 127.0.0.1:"), e.getMessage());
        split.close();
    }
}
