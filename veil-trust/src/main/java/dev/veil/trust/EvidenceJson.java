package dev.veil.trust;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Evidence as {@code GET /v1/attestation} carries it between {@code veil serve} and {@code veil proxy}:
 * <pre>{"object": "veil.attestation", "kind": "sev-snp"|"simulated", "nonce": HEX, "report": BASE64, "signers": PEM,
 *  "warning": "SIMULATED ..." (simulated only)}</pre>
 * The JSON is only a carrier: nothing in it is trusted until {@link AttestationVerifier#verify} has checked the
 * report's signature, the policy and REPORT_DATA against the verifier's own nonce and the connection's key.
 */
public final class EvidenceJson {
    /** The largest answer a verifier reads: a report, a VCEK and an ASK in PEM, with room to spare. */
    public static final int MAX_BYTES = 64 * 1024;
    public static final String SIMULATED_WARNING = "SIMULATED attestation (development only: proves nothing)";
    /** jackson-core's streaming parser only: Jackson's object mapper (databind) is not in the trusted node. */
    private static final JsonFactory JSON = new JsonFactory();

    private EvidenceJson() {}

    /** The answer's fields, in order, for the service to write as a JSON object. */
    public static Map<String, Object> write(Evidence e, byte[] nonce) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "veil.attestation");
        o.put("kind", e.kind().id);
        o.put("nonce", HexFormat.of().formatHex(nonce));
        o.put("report", Base64.getEncoder().encodeToString(e.report()));
        o.put("signers", e.signers());
        if (e.kind() == Evidence.Kind.SIMULATED) o.put("warning", SIMULATED_WARNING);
        return o;
    }

    /** @throws AttestationException with a one-line reason when {@code body} is not evidence */
    public static Evidence read(byte[] body) {
        if (body.length > MAX_BYTES) throw new AttestationException("the node's evidence is over " + MAX_BYTES + " bytes");
        try {
            Map<String, String> o = strings(body);
            if (o == null || !"veil.attestation".equals(o.get("object"))) {
                throw new AttestationException("the node's answer is not attestation evidence");
            }
            return new Evidence(Evidence.Kind.of(text(o, "kind")), Base64.getDecoder().decode(text(o, "report")), text(o, "signers"));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new AttestationException("the node's evidence is malformed: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    /** The top-level object's text fields (other values skipped), or null when the body is not an object. */
    private static Map<String, String> strings(byte[] body) throws java.io.IOException {
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            Map<String, String> o = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (p.nextToken() == JsonToken.VALUE_STRING) o.put(key, p.getText());
                else p.skipChildren();
            }
            return o;
        }
    }

    private static String text(Map<String, String> o, String field) {
        String v = o.get(field);
        if (v == null) throw new AttestationException("the node's evidence has no '" + field + "'");
        return v;
    }
}
