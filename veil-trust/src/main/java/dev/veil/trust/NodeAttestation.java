package dev.veil.trust;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Channel;
import java.security.cert.X509Certificate;

/** The node's side of the attested handshake: right after TLS and before HELLO. */
public final class NodeAttestation {
    private NodeAttestation() {}

    /**
     * Asks the server for a nonce, has {@code provider} make evidence binding it and the key of
     * {@code tlsCertificate} (the one this end presented on {@code channel}), and presents it.
     *
     * @return the server's one-line summary of what it accepted
     */
    public static String present(Channel channel, X509Certificate tlsCertificate, AttestationProvider provider) {
        if (tlsCertificate == null) {
            throw new ProtocolException(ErrorCode.NOT_ATTESTED, "attestation needs a mutual TLS connection (--tls-dir)");
        }
        byte[] nonce = channel.call(new Message.Challenge(), Message.Nonce.class).nonce();
        if (nonce.length != ReportData.NONCE_BYTES) throw new ProtocolException(ErrorCode.BAD_FRAME, "the server's nonce is not 32 bytes");
        Evidence evidence = provider.attest(ReportData.bind(tlsCertificate.getPublicKey(), nonce));
        return channel.call(evidence.toMessage(), Message.Attested.class).summary();
    }
}
