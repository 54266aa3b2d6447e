package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.tokenizer.SentencePieceTokenizer;
import dev.veil.engine.tokenizer.TokenType;
import dev.veil.engine.tokenizer.Vocabulary;
import dev.veil.engine.Shared;
import org.junit.jupiter.api.Test;

class GenerateCommandTest {
    private static final String[] PIECES = {"<unk>", "<s>", "</s>", "\u2581", "h", "i", "\u2581hi", "hi"};

    private static SentencePieceTokenizer tokenizer(boolean addBos) {
        TokenType[] types = {TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL, TokenType.NORMAL, TokenType.NORMAL,
                TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL};
        return new SentencePieceTokenizer(new Vocabulary(PIECES, types, 1, 2, 0, addBos, new int[0], null),
                new float[] {0, 0, 0, -1, -2, -3, -0.5f, -0.6f}, true);
    }

    @Test
    void plainPromptStartsWithBosWhereTheModelWantsIt() {
        assertArrayEquals(new int[] {1, 6}, SamplingOptions.input(tokenizer(true), "hi"));
        assertArrayEquals(new int[] {6}, SamplingOptions.input(tokenizer(false), "hi"));
        // An empty prompt starts from BOS either way.
        assertArrayEquals(new int[] {1}, SamplingOptions.input(tokenizer(false), ""));
    }

    @Test
    void systemWithoutChatIsAnError() {
        // a real model, so that the run reaches the check this test names (and not "file not found")
        var run = CliRun.of("generate", "--model", Shared.storiesBin().toString(), "--system", "be brief", "--prompt", "hi");
        assertEquals(1, run.code());
        assertEquals("veil: --system needs --chat", run.err().strip());
    }
}
