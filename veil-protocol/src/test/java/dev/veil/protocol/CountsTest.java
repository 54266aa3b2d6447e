package dev.veil.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CountsTest {
    @Test
    void oneIsSingularEveryOtherCountPlural() {
        assertEquals("1 token", Counts.of(1, "token"));
        assertEquals("0 tokens", Counts.of(0, "token"));
        assertEquals("2 API keys", Counts.of(2, "API key"));
        assertEquals("1 API key", Counts.of(1, "API key"));
        assertEquals("3 identities", Counts.of(3, "identity"));
        assertEquals("2 days", Counts.of(2, "day"));
        assertEquals("4 batches", Counts.of(4, "batch"));
        assertEquals("1 batch", Counts.of(1, "batch"));
        assertEquals("12345 rows", Counts.of(12345, "row"));
        assertEquals("-1 tokens", Counts.of(-1, "token"));
        assertEquals("calls", Counts.noun(5, "call"));
    }
}
