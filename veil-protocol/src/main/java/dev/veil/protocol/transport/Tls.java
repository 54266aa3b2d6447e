package dev.veil.protocol.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Mutual TLS 1.3 between Veil's roles, on the JDK's own TLS. A role's directory ({@code veil keys}) holds
 * {@value #IDENTITY} (its key and certificate) and {@value #TRUST} (the deployment's CA, the only root it
 * trusts). Both ends present a certificate; each checks the other's chain to the CA, its validity, its key
 * purpose and its role (the subject's OU), and a client also checks that the server's certificate names the
 * host it dialled. Only TLS 1.3 with its AEAD suites is enabled: no fallback, no legacy suite.
 */
public final class Tls {
    public static final String IDENTITY = "identity.p12", TRUST = "trust.p12", PASSWORD_FILE = "password";
    public static final String[] PROTOCOLS = {"TLSv1.3"};
    public static final String[] SUITES = {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"};

    private Tls() {}

    /**
     * A context for one role from its directory.
     *
     * @param peerRole the role a peer's certificate must carry (the weights server accepts only {@code node})
     */
    public static SSLContext context(Path dir, char[] password, String peerRole) {
        return context(dir, password, peerRole, leaf -> {});
    }

    /** A further check on the peer's certificate after the chain and role checks, e.g. a pinned key. */
    @FunctionalInterface
    public interface PeerCheck {
        void check(X509Certificate leaf) throws CertificateException;
    }

    /**
     * As {@link #context(Path, char[], String)}, with {@code extra} run on every peer certificate that passed the
     * chain and role checks: the client proxy pins the attested node's key this way.
     */
    public static SSLContext context(Path dir, char[] password, String peerRole, PeerCheck extra) {
        Path identity = dir.resolve(IDENTITY), trust = dir.resolve(TRUST);
        for (Path f : new Path[] {identity, trust}) {
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + " not found (make it with veil keys)");
        }
        try {
            var kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(load(identity, password), password);
            var tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(load(trust, password));
            var pkix = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
            var ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), new X509ExtendedTrustManager[] {new RoleCheck(pkix, peerRole, extra)}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException ? "wrong password" : e.getMessage();
            throw new IllegalArgumentException("cannot use the TLS identity in " + dir + ": " + why, e);
        }
    }

    /** TLS 1.3 only, its AEAD suites only, a client certificate required. */
    public static void configure(SSLServerSocket s) {
        s.setSSLParameters(serverParameters(s.getSSLParameters()));
    }

    /** {@code p} restricted to TLS 1.3 and its AEAD suites, with a client certificate required (also for HTTPS servers). */
    public static SSLParameters serverParameters(SSLParameters p) {
        p.setProtocols(PROTOCOLS);
        p.setCipherSuites(SUITES);
        p.setNeedClientAuth(true);
        return p;
    }

    /** TLS 1.3 only, its AEAD suites only, the server's certificate must name the host dialled. */
    public static void configure(SSLSocket s) {
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(PROTOCOLS);
        p.setCipherSuites(SUITES);
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
    }

    /**
     * The DNS names and IP addresses the role's own certificate (in {@code dir}) names: those clients reach it at, which
     * {@code veil serve} therefore answers to ({@link OriginPolicy}).
     */
    public static List<String> names(Path dir, char[] password) {
        try {
            var ks = load(dir.resolve(IDENTITY), password);
            var names = new ArrayList<String>();
            for (String alias : Collections.list(ks.aliases())) {
                if (!(ks.getCertificate(alias) instanceof X509Certificate c) || c.getSubjectAlternativeNames() == null) continue;
                for (List<?> n : c.getSubjectAlternativeNames()) {
                    if (n.get(0) instanceof Integer type && (type == 2 || type == 7)) names.add(String.valueOf(n.get(1)));
                }
            }
            return names;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot read the TLS identity in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The role named by a certificate's subject OU, or null. */
    public static String role(X509Certificate c) {
        try {
            for (var rdn : new LdapName(c.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("OU")) return String.valueOf(rdn.getValue());
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    private static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
        if (!Files.isRegularFile(file)) throw new IOException(file + " not found (make it with veil keys)");
        var ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    /** The JDK's PKIX checks, then the peer's role. */
    private static final class RoleCheck extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager pkix;
        private final String role;
        private final PeerCheck extra;

        RoleCheck(X509ExtendedTrustManager pkix, String role, PeerCheck extra) {
            this.pkix = pkix;
            this.role = role;
            this.extra = extra;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            String r = role(chain[0]);
            if (!role.equals(r)) throw new CertificateException("peer certificate is for role '" + r + "', not '" + role + "'");
            extra.check(chain[0]);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth, Socket s) throws CertificateException {
            pkix.checkClientTrusted(chain, auth, s);
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth, Socket s) throws CertificateException {
            pkix.checkServerTrusted(chain, auth, s);
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth, SSLEngine e) throws CertificateException {
            pkix.checkClientTrusted(chain, auth, e);
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth, SSLEngine e) throws CertificateException {
            pkix.checkServerTrusted(chain, auth, e);
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth) throws CertificateException {
            pkix.checkClientTrusted(chain, auth);
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth) throws CertificateException {
            pkix.checkServerTrusted(chain, auth);
            check(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }
}
