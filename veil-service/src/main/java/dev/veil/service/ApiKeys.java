package dev.veil.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The clients' keys, one per line of the operator's file (blank lines and lines starting with # are skipped), each
 * under a tenant: {@code TENANT: KEY} names it, a plain {@code KEY} line is a tenant of its own named by its key's
 * number in the file ("key-2"). A tenant is whom the service bounds (its privacy budget, its requests at once) and
 * the client CMIF's node is told a request is for, so that minting a key mints no budget. Only the keys' SHA-256
 * digests are kept; a presented key is compared against every digest in constant time, so neither timing nor a heap
 * dump gives one away.
 */
public final class ApiKeys {
    /** A tenant's name: a word of letters, digits, '.', '_', '-' (it goes in logs and the privacy ledger as it is). */
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern NAMED = Pattern.compile("([^\\s:]+):\\s+(\\S.*)");

    private final List<byte[]> digests;
    private final List<String> tenants; // of each digest

    private ApiKeys(List<byte[]> digests, List<String> tenants) {
        this.digests = digests;
        this.tenants = tenants;
    }

    public static ApiKeys read(Path file) throws IOException {
        List<byte[]> digests = new ArrayList<>();
        List<String> tenants = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int number = 0;
        for (int i = 0; i < lines.size(); i++) {
            String key = lines.get(i).strip(), tenant, where = file + ":" + (i + 1);
            if (key.isEmpty() || key.startsWith("#")) continue;
            number++;
            var named = NAMED.matcher(key);
            if (named.matches()) {
                tenant = named.group(1);
                key = named.group(2).strip();
                if (!TENANT.matcher(tenant).matches() || tenant.matches("key-\\d+")) {
                    throw new IllegalArgumentException(where + ": a tenant is named with up to 64 letters, digits, '.', '_' or '-', and not"
                            + " key-N (the name of a plain key line), not '" + tenant + "'");
                }
            } else {
                tenant = "key-" + number;
            }
            if (key.length() < 16) throw new IllegalArgumentException(file + ": an API key must be at least 16 characters");
            byte[] digest = sha256(key);
            if (digests.stream().anyMatch(d -> MessageDigest.isEqual(d, digest))) {
                throw new IllegalArgumentException(where + ": a key given before (a key belongs to one tenant)");
            }
            digests.add(digest);
            tenants.add(tenant);
        }
        if (digests.isEmpty()) throw new IllegalArgumentException(file + " holds no API key");
        return new ApiKeys(digests, tenants);
    }

    public int size() {
        return digests.size();
    }

    /** How many tenants the keys belong to. */
    public int tenants() {
        return new LinkedHashSet<>(tenants).size();
    }

    /** The tenant the {@code Authorization} header's key belongs to ("acme", or "key-2" for a plain line); 401 when it names none. */
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
        return tenants.get(match);
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
