package dev.veil.node.cmif;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Token frequencies over a corpus file (one text per line; in a .tsv, the text before the last tab, without a
 * "sentence" header), for the sensitive set. Tokenizing a large corpus takes a while, so the counts are cached
 * on disk under the hash of the file and of the embedding space, sealed ({@link CacheSeal}): raising a rare token's
 * count would take it out of the sensitive set, so a file that fails its seal or its checks is recounted.
 */
public final class CorpusCounts {
    private CorpusCounts() {}

    public static long[] of(EmbeddingSpace space, Path corpus, Function<String, int[]> encoder, Path cacheDir) throws IOException {
        if (!Files.isRegularFile(corpus)) throw new NoSuchFileException(corpus.toString(), null, "token-frequency corpus not found");
        byte[] bytes = Files.readAllBytes(corpus);
        String corpusHash = sha(bytes);
        Path file = cacheDir.resolve("counts-" + space.fingerprint() + "-" + corpusHash + ".bin");
        var seal = CacheSeal.of(cacheDir);
        String context = "veil-counts-v2|" + space.fingerprint() + "|" + corpusHash;
        if (Files.isRegularFile(file)) {
            try {
                return read(seal.open(context, Files.readAllBytes(file)), space.size());
            } catch (IOException e) {
                CacheSeal.warn("token-count cache " + file + " failed verification (" + e.getMessage() + "); recounting");
            }
        }
        List<String> texts = lines(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), corpus.toString().endsWith(".tsv"));
        long[] counts = SensitiveSet.count(space, texts.parallelStream().map(encoder).toList());
        var payload = new java.io.ByteArrayOutputStream();
        try (var out = new DataOutputStream(payload)) {
            out.writeInt(MAGIC);
            out.writeInt(counts.length);
            long total = 0;
            for (long c : counts) {
                out.writeLong(c);
                total += c;
            }
            out.writeLong(total);
        }
        Files.createDirectories(cacheDir);
        Path tmp = Files.createTempFile(cacheDir, "counts", ".tmp");
        Files.write(tmp, seal.seal(context, payload.toByteArray()));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return counts;
    }

    private static final int MAGIC = 0x56434E32; // "VCN2": sealed

    /** Counts from a sealed payload, checked for structure: one non-negative count per id, adding up to the stored total. */
    private static long[] read(byte[] payload, int size) throws IOException {
        try (var in = new DataInputStream(new java.io.ByteArrayInputStream(payload))) {
            if (in.readInt() != MAGIC || in.readInt() != size) throw new IOException("stale cache");
            long[] counts = new long[size];
            long total = 0;
            for (int i = 0; i < size; i++) {
                counts[i] = in.readLong();
                if (counts[i] < 0) throw new IOException("a negative count");
                total += counts[i];
            }
            if (in.readLong() != total || in.available() != 0) throw new IOException("counts do not add up");
            return counts;
        }
    }

    static List<String> lines(String text, boolean tsv) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (tsv && out.isEmpty() && line.startsWith("sentence\t")) continue;
            int tab = line.lastIndexOf('\t');
            String t = (tsv && tab >= 0 ? line.substring(0, tab) : line).strip();
            if (!t.isEmpty()) out.add(t);
        }
        return out;
    }

    private static String sha(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
