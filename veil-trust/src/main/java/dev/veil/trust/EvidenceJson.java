package dev.veil.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.HexFormat;

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
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvidenceJson() {}

    public static ObjectNode write(Evidence e, byte[] nonce) {
        ObjectNode o = JSON.createObjectNode().put("object", "veil.attestation").put("kind", e.kind().id)
                .put("nonce", HexFormat.of().formatHex(nonce)).put("report", Base64.getEncoder().encodeToString(e.report()))
                .put("signers", e.signers());
        if (e.kind() == Evidence.Kind.SIMULATED) o.put("warning", SIMULATED_WARNING);
        return o;
    }

    /** @throws AttestationException with a one-line reason when {@code body} is not evidence */
    public static Evidence read(byte[] body) {
        if (body.length > MAX_BYTES) throw new AttestationException("the node's evidence is over " + MAX_BYTES + " bytes");
        try {
            JsonNode o = JSON.readTree(body);
            if (o == null || !"veil.attestation".equals(o.path("object").asText())) {
                throw new AttestationException("the node's answer is not attestation evidence");
            }
            return new Evidence(Evidence.Kind.of(text(o, "kind")), Base64.getDecoder().decode(text(o, "report")), text(o, "signers"));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new AttestationException("the node's evidence is malformed: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) throw new AttestationException("the node's evidence has no '" + field + "'");
        return v.asText();
    }
}
