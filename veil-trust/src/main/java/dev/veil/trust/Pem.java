package dev.veil.trust;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/** PEM blocks: certificates and public keys, read with the JDK's own factories. */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private Pem() {}

    /** Every CERTIFICATE block, or a single DER certificate. */
    public static List<X509Certificate> certificates(byte[] pemOrDer) {
        try {
            var cf = CertificateFactory.getInstance("X.509");
            var out = new ArrayList<X509Certificate>();
            for (var c : cf.generateCertificates(new ByteArrayInputStream(pemOrDer))) out.add((X509Certificate) c);
            return out;
        } catch (GeneralSecurityException e) {
            throw new AttestationException("cannot read certificates: " + e.getMessage(), e);
        }
    }

    public static PublicKey publicKey(String pem) {
        var m = BLOCK.matcher(pem);
        if (!m.find() || !m.group(1).equals("PUBLIC KEY")) throw new AttestationException("no PUBLIC KEY block");
        try {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new AttestationException("cannot read the public key: " + e.getMessage(), e);
        }
    }

    public static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static String encode(List<X509Certificate> certs) {
        var sb = new StringBuilder();
        try {
            for (var c : certs) sb.append(encode("CERTIFICATE", c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new AttestationException("cannot encode a certificate: " + e.getMessage(), e);
        }
        return sb.toString();
    }
}
