package dev.veil.keys;

/**
 * The parties of a Veil deployment that hold a TLS identity. The role is the certificate's subject OU; peers
 * check it, so a client proxy's certificate cannot open a weights-server connection, nor a node's serve one.
 */
public enum Role {
    /** The untrusted side: serves masked linear calls to nodes; a TLS server only. */
    WEIGHTS_SERVER("weights-server", true, false),
    /** The trusted node: a TLS client of the weights server, and a TLS server to client proxies (veil serve). */
    NODE("node", true, true),
    /** The client's verifying proxy: a TLS client of the node. */
    PROXY("proxy", false, true);

    public final String id;
    final boolean server, client;

    Role(String id, boolean server, boolean client) {
        this.id = id;
        this.server = server;
        this.client = client;
    }
}
