package dev.veil.node.cmif;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Consistent sanitization: each position's randomness is derived from the tenant's secret and the token's context
 * (the token and the {@code window} tokens on either side of it, as written), not drawn afresh per request. The same
 * tenant's same token in the same context gets the same replacement every time, so a repeated prompt (a retry, a chat
 * client re-sending its conversation each turn) hands the server the same copy again, and a vote over copies gains
 * nothing. A window rather than the whole prefix keeps the draws when only a prompt's opening varies ("Please
 * summarise: ..."), and a window rather than the token alone keeps a tenant's traffic from being one substitution
 * cipher open to frequency analysis: a word is replaced independently wherever its neighbours differ.
 *
 * <p>What remains: the server sees that two copies agree where their windows agree (equal prompts look equal), and an
 * n-gram that recurs in one tenant's traffic recurs sanitized the same way. Each distinct (token, window) is one
 * release of the mechanism, so ε composes over distinct contexts, not over repeats. The draws are a PRF (HMAC-SHA256)
 * of a secret that never leaves the node; different tenants' draws are unrelated. Not thread-safe: one per request.
 */
public final class ConsistentDraws implements Draws {
    /** Tokens on either side of a position that its draw depends on. */
    public static final int DEFAULT_WINDOW = 2;

    private final Mac tenantMac; // keyed once per request; a request's positions are sanitized on one thread
    private final int window;

    private ConsistentDraws(byte[] key, int window) {
        this.tenantMac = mac(key);
        this.window = window;
    }

    /**
     * @param nodeSecret the node's secret for draws (32 bytes, kept with its sealed caches)
     * @param tenant who the request is charged to: tenants never share draws
     */
    public static ConsistentDraws of(byte[] nodeSecret, String tenant, int window) {
        if (window < 0) throw new IllegalArgumentException("the draws' window must be 0 or more tokens, got " + window);
        return new ConsistentDraws(hmac(nodeSecret, ("veil cmif draws for tenant " + tenant).getBytes(StandardCharsets.UTF_8)), window);
    }

    @Override
    public ExactRandom at(int[] ids, int i) {
        var context = ByteBuffer.allocate(4 * (2 * window + 2)).putInt(window);
        for (int j = i - window; j <= i + window; j++) context.putInt(j >= 0 && j < ids.length ? ids[j] : -1);
        return ExactRandom.keyed(tenantMac.doFinal(context.array()));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        return mac(key).doFinal(data);
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
