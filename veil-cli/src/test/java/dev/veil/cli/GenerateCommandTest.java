package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void countsSayWhatTheyCountInTheRightNumber() {
        var run = CliRun.of("generate", "--model", Shared.storiesBin().toString(), "--prompt", "Lily", "--max-tokens", "1", "--scheme",
                "plain");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("prompt: Lily  [BOS + 1 token]\n"), run.err());
        assertTrue(run.err().contains("[BOS + 1 prompt token + 1 generated in "), run.err());
        var two = CliRun.of("generate", "--model", Shared.storiesBin().toString(), "--prompt", "Lily and Tom", "--max-tokens", "2",
                "--scheme", "plain");
        assertTrue(two.err().contains("prompt: Lily and Tom  [BOS + 4 tokens]\n"), two.err());
        assertTrue(two.err().contains("[BOS + 4 prompt tokens + 2 generated in "), two.err());
    }

    @Test
    void systemWithoutChatIsAnError() {
        // a real model, so that the run reaches the check this test names (and not "file not found")
        var run = CliRun.of("generate", "--model", Shared.storiesBin().toString(), "--system", "be brief", "--prompt", "hi");
        assertEquals(1, run.code());
        assertEquals("veil: --system needs --chat", run.err().strip());
    }
}
