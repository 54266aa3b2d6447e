package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The process's HTTP bounds: Veil's defaults where the command line gave none, the operator's where it did. */
class HttpServerLimitsTest {
    private final String time = System.getProperty(HttpServerLimits.MAX_REQ_TIME);
    private final String headers = System.getProperty(HttpServerLimits.MAX_REQ_HEADERS);

    @AfterEach
    void restore() {
        restore(HttpServerLimits.MAX_REQ_TIME, time);
        restore(HttpServerLimits.MAX_REQ_HEADERS, headers);
    }

    @Test
    void defaultsWhereTheOperatorGaveNone() {
        System.clearProperty(HttpServerLimits.MAX_REQ_TIME);
        System.clearProperty(HttpServerLimits.MAX_REQ_HEADERS);
        HttpServerLimits.applyToProcess();
        assertEquals("30", System.getProperty(HttpServerLimits.MAX_REQ_TIME));
        assertEquals("100", System.getProperty(HttpServerLimits.MAX_REQ_HEADERS));
    }

    @Test
    void theOperatorsValuesWin() {
        System.setProperty(HttpServerLimits.MAX_REQ_TIME, "5");
        System.setProperty(HttpServerLimits.MAX_REQ_HEADERS, "40");
        HttpServerLimits.applyToProcess();
        assertEquals("5", System.getProperty(HttpServerLimits.MAX_REQ_TIME));
        assertEquals("40", System.getProperty(HttpServerLimits.MAX_REQ_HEADERS));
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
