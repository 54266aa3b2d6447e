package dev.veil.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The clients' keys, one per line of the operator's file (blank lines and lines starting with # are skipped).
 * Only their SHA-256 digests are kept; a presented key is compared against every digest in constant time, so
 * neither timing nor a heap dump gives a key away. A client is named by its key's number in the file.
 */
public final class ApiKeys {
    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    public static ApiKeys read(Path file) throws IOException {
        List<byte[]> digests = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String key = line.strip();
            if (key.isEmpty() || key.startsWith("#")) continue;
            if (key.length() < 16) throw new IllegalArgumentException(file + ": an API key must be at least 16 characters");
            digests.add(sha256(key));
        }
        if (digests.isEmpty()) throw new IllegalArgumentException(file + " holds no API key");
        return new ApiKeys(digests);
    }

    public int size() {
        return digests.size();
    }

    /** The client the {@code Authorization} header names ("key-2"); 401 when it names none. */
    String client(String authorization) {
        if (authorization == null) throw ApiError.unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.");
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiError.unauthorized("The Authorization header must be 'Bearer KEY'.");
        }
        byte[] presented = sha256(authorization.substring(7).strip());
        int match = -1;
        for (int i = 0; i < digests.size(); i++) {
            if (MessageDigest.isEqual(digests.get(i), presented)) match = i; // no early exit: same time for every key
        }
        if (match < 0) throw ApiError.unauthorized("Incorrect API key provided.");
        return "key-" + (match + 1);
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
