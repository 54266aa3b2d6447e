package dev.veil.node.cmif;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the sanitizers' derived data on disk (candidate lists, token counts): each file ends with an HMAC-SHA256,
 * under a key of the cache directory, of the inputs that produced it (a context string naming the embedding space,
 * K, the corpus) and of its contents. A file that was altered, or made for other inputs, or sealed under another
 * key, fails to open and is recomputed: a tampered cache could otherwise turn sanitization off with the same ε
 * reported. The key ({@code seal.key}, 32 random bytes, readable by its owner only where the file system allows)
 * protects against whoever can write the cache but not read the key; a process running as the node's user can do
 * anything the node can, so the loaders also check what they read for structure (and the candidate lists by spot
 * recomputation).
 */
final class CacheSeal {
    private static final int MAC_BYTES = 32;
    private final byte[] key;

    private CacheSeal(byte[] key) {
        this.key = key;
    }

    /** The seal of {@code cacheDir}, creating its key on first use. */
    static CacheSeal of(Path cacheDir) {
        Path file = cacheDir.resolve("seal.key");
        try {
            Files.createDirectories(cacheDir);
            if (!Files.exists(file)) {
                byte[] k = new byte[32];
                new SecureRandom().nextBytes(k);
                Path tmp = Files.createTempFile(cacheDir, "seal", ".tmp");
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the directory's own permissions apply
                }
                Files.write(tmp, k);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE); // never replaces a key another process made
                } catch (FileAlreadyExistsException e) {
                    Files.deleteIfExists(tmp);
                }
            }
            byte[] k = Files.readAllBytes(file);
            if (k.length != 32) throw new IOException("the cache key " + file + " is damaged (delete it to start a new cache)");
            return new CacheSeal(k);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the cache key in " + cacheDir + ": " + e.getMessage(), e);
        }
    }

    /** A secret for {@code purpose} derived from this seal's key (HMAC-SHA256): kept like it, never stored apart. */
    byte[] derive(String purpose) {
        return mac("derive: " + purpose, new byte[0], 0);
    }

    /** {@code payload} followed by its seal under {@code context}. */
    byte[] seal(String context, byte[] payload) {
        byte[] out = Arrays.copyOf(payload, payload.length + MAC_BYTES);
        System.arraycopy(mac(context, payload, payload.length), 0, out, payload.length, MAC_BYTES);
        return out;
    }

    /** The payload of a sealed file, or an IOException saying why it cannot be trusted. */
    byte[] open(String context, byte[] sealed) throws IOException {
        if (sealed.length < MAC_BYTES) throw new IOException("too short to hold a seal");
        int n = sealed.length - MAC_BYTES;
        if (!MessageDigest.isEqual(mac(context, sealed, n), Arrays.copyOfRange(sealed, n, sealed.length))) {
            throw new IOException("its seal does not match its contents and inputs");
        }
        return Arrays.copyOf(sealed, n);
    }

    private byte[] mac(String context, byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] c = context.getBytes(StandardCharsets.UTF_8);
            mac.update(java.nio.ByteBuffer.allocate(4).putInt(c.length).array());
            mac.update(c);
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a cache that fails its checks is reported before it is recomputed. */
    static void warn(String message) {
        System.err.println("veil: warning: " + message);
    }
}
