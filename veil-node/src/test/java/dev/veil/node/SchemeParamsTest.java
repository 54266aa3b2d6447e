package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.veil.node.otp.OtpScheme;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameters by name: read by the scheme that takes them; a caller's suggested defaults are taken or left, never an error. */
class SchemeParamsTest {
    @Test
    void parametersAreReadByTheSchemeThatTakesThem() {
        assertEquals("m = 8, z32", Schemes.create("remo", new SchemeParams(Map.of("m", "8", "numeric", "z32"))).describe());
        assertEquals(16, ((OtpScheme) Schemes.create("remo-otp", new SchemeParams(Map.of("pool-rows", "16")))).config().poolRows());
        var e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("remo", new SchemeParams(Map.of("m", "2.5"))));
        assertEquals("--m must be a fraction of d_in in (0, 1), like 1/8 or 0.125, or a whole rank like 8; got '2.5'", e.getMessage());
    }

    @Test
    void suggestedDefaultsAreTakenWhereTheSchemeHasSuchAParameterAndLeftElsewhere() {
        var defaults = Map.of("numeric", "z32", "corpus", "x.tsv");
        assertEquals("m = d_in/8, z32", Schemes.create("remo", new SchemeParams(Map.of(), defaults)).describe());
        var given = new SchemeParams(Map.of("numeric", "float"), defaults);
        assertEquals("m = d_in/8, float, mask scale 1", Schemes.create("remo", given).describe());
        assertEquals("rnm, ε 1 per token, K 20, p 0.3, sensitive share 0.2, draws consistent per tenant (window 2)",
                Schemes.create("cmif", new SchemeParams(Map.of(), defaults)).describe());
        // given, not suggested: a parameter the scheme does not take is still refused
        var notTaken = new SchemeParams(Map.of("numeric", "z32"), defaults);
        var e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("cmif", notTaken));
        assertEquals("--numeric does not apply to --scheme cmif", e.getMessage());
    }
}
