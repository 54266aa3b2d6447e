package dev.veil.node.cmif;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
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
 * on disk under the hash of the file and of the embedding space.
 */
public final class CorpusCounts {
    private CorpusCounts() {}

    public static long[] of(EmbeddingSpace space, Path corpus, Function<String, int[]> encoder, Path cacheDir) throws IOException {
        if (!Files.isRegularFile(corpus)) throw new IOException("token-frequency corpus not found: " + corpus);
        byte[] bytes = Files.readAllBytes(corpus);
        Path file = cacheDir.resolve("counts-" + space.fingerprint() + "-" + sha(bytes) + ".bin");
        if (Files.isRegularFile(file)) {
            try (var in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
                if (in.readInt() == space.size()) {
                    long[] counts = new long[space.size()];
                    for (int i = 0; i < counts.length; i++) counts[i] = in.readLong();
                    return counts;
                }
            } catch (IOException e) {
                // recount below
            }
        }
        List<String> texts = lines(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), corpus.toString().endsWith(".tsv"));
        long[] counts = SensitiveSet.count(space, texts.parallelStream().map(encoder).toList());
        Files.createDirectories(cacheDir);
        Path tmp = Files.createTempFile(cacheDir, "counts", ".tmp");
        try (var out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(counts.length);
            for (long c : counts) out.writeLong(c);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return counts;
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
