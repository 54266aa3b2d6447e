package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import dev.veil.trust.AttestationProvider;
import dev.veil.trust.EvidenceJson;
import dev.veil.trust.ReportData;
import java.io.IOException;
import java.util.HexFormat;

/**
 * {@code GET /v1/attestation?nonce=HEX}: the node's evidence for the verifier's nonce, bound to the TLS key this connection
 * was authenticated with (REPORT_DATA = SHA-256(key) ‖ nonce, {@link ReportData#bind}): a relay that forwards the request
 * to this node gets evidence for this node's key, which does not match its own.
 *
 * @param provider the evidence's source, or null: the service presents none
 */
record AttestationEndpoint(AttestationProvider provider) {
    void handle(HttpExchange ex) throws IOException {
        if (!(ex instanceof HttpsExchange https)) {
            throw ApiError.notFound("attestation_unavailable",
                    "This service has no TLS key to bind evidence to (start it with --tls-dir).");
        }
        if (provider == null) {
            throw ApiError.notFound("attestation_unavailable", "This service presents no evidence (start it with --attestation).");
        }
        String query = ex.getRequestURI().getRawQuery();
        String hex = query != null && query.startsWith("nonce=") ? query.substring("nonce=".length()) : null;
        if (hex == null || !hex.matches("[0-9a-fA-F]{" + 2 * ReportData.NONCE_BYTES + "}")) {
            throw ApiError.badRequest("nonce", "Give ?nonce= with exactly " + ReportData.NONCE_BYTES + " bytes of fresh random hex.");
        }
        byte[] nonce = HexFormat.of().parseHex(hex);
        var local = https.getSSLSession().getLocalCertificates();
        var evidence = provider.attest(ReportData.bind(local[0].getPublicKey(), nonce));
        Responses.json(ex, 200, EvidenceJson.write(evidence, nonce));
    }
}
