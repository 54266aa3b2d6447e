package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The service's JSON on jackson-core alone: what requests are read as, and what answers are written as. */
class JsonTest {
    @Test
    void readsObjectsInOrderWithWholeNumbersApartFromOthers() throws Exception {
        var o = (Map<?, ?>) Json.parse("{\"b\": 1, \"a\": [true, null, 1.5, \"x\"], \"big\": 123456789012345678901234567890} trailing");
        assertEquals(List.of("b", "a", "big"), List.copyOf(o.keySet()));
        assertEquals(1L, o.get("b"));
        assertEquals(Arrays.asList(true, null, 1.5, "x"), o.get("a"));
        assertEquals(new BigInteger("123456789012345678901234567890"), o.get("big"));
        assertNull(Json.parse("  "));
    }

    @Test
    void aKeyTwiceIsRefusedNamingIt() {
        var e = assertThrows(JsonProcessingException.class, () -> Json.parse("{\"veil\": {\"view\": true, \"view\": false}}"));
        assertEquals("Duplicate field 'view'", e.getOriginalMessage()); // VeilService names the key from these words
    }

    @Test
    void writesWhatDatabindWrote() {
        var o = Json.object("f", 0.5f, "d", 0.1, "n", null, "l", List.of(1, 2L), "s", "\"q\"\n", "o", Json.object());
        assertEquals("{\"f\":0.5,\"d\":0.1,\"n\":null,\"l\":[1,2],\"s\":\"\\\"q\\\"\\n\",\"o\":{}}", Json.string(o));
        assertEquals(Json.string(o), TestService.JSON.valueToTree(o).toString());
    }
}
