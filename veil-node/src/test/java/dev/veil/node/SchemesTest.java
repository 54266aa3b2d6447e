package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.veil.node.otp.OtpScheme;
import dev.veil.node.remo.RemoScheme;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry: every scheme registered once, parameters checked in one place, a safe default. */
class SchemesTest {
    @Test
    void everySchemeIsRegisteredOnceInOrder() {
        assertEquals("plain, remo-otp, remo, cmif", Schemes.names());
        assertEquals(Schemes.types().size(), Schemes.types().stream().map(SchemeType::name).distinct().count());
    }

    @Test
    void theDefaultIsAtThePrivacyFloorAndOnlyRemoWarns() {
        Scheme fallback = Schemes.create(Schemes.DEFAULT);
        assertEquals("remo-otp", fallback.name());
        assertNull(fallback.warning());
        assertNull(Schemes.create("plain").warning());
        assertNotNull(Schemes.create("remo").warning());
    }

    @Test
    void parametersAreReadByTheSchemeThatTakesThem() {
        var remo = (RemoScheme) Schemes.create("remo", new SchemeParams(Map.of("m", "8", "numeric", "z32")));
        assertEquals("m = 8, z32", remo.describe());
        var otp = (OtpScheme) Schemes.create("remo-otp", new SchemeParams(Map.of("pool-rows", "16")));
        assertEquals(16, otp.config().poolRows());
    }

    @Test
    void aParameterTheSchemeDoesNotTakeIsAnError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("remo", new SchemeParams(Map.of("epsilon", "1"))));
        assertEquals("--epsilon does not apply to --scheme remo", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("magic"));
        assertEquals("unknown scheme 'magic' (plain, remo-otp, remo, cmif)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("remo-otp", new SchemeParams(Map.of("numeric", "float"))));
        assertEquals("remo-otp masks over a ring: --numeric exact (Z_2^64) or z32, not float", e.getMessage());
    }

    @Test
    void suggestedDefaultsAreTakenOrLeftWithoutError() {
        var defaults = Map.of("numeric", "z32");
        assertEquals("m = d_in/8, z32", Schemes.create("remo", new SchemeParams(Map.of(), defaults)).describe());
        assertEquals("m = d_in/8, float, mask scale 1", Schemes.create("remo", new SchemeParams(Map.of("numeric", "float"), defaults)).describe());
        assertEquals("rnm, ε 1 per token, K 20, p 0.3, sensitive share 0.2",
                Schemes.create("cmif", new SchemeParams(Map.of(), Map.of("corpus", "x.tsv", "numeric", "z32"))).describe());
    }
}
