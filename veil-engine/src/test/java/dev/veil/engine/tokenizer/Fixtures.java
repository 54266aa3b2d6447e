package dev.veil.engine.tokenizer;

import dev.veil.engine.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The real tokenizers and corpus the tests share, loaded once. */
final class Fixtures {
    private Fixtures() {}

    private static final Lazy<SentencePieceModel> LLAMA2 = new Lazy<>(
            () -> SentencePieceModel.read(Shared.path("models/llama2-tokenizer/tokenizer.model")));
    private static final Lazy<Tokenizer> LLAMA2_TOKENIZER = new Lazy<>(() -> LLAMA2.get().tokenizer());
    private static final Lazy<Map<String, Object>> LLAMA3 = new Lazy<>(Fixtures::readLlama3);
    private static final Lazy<Tokenizer> LLAMA3_TOKENIZER = new Lazy<>(() -> Tokenizers.fromGguf(LLAMA3.get()));
    private static final Lazy<List<String>> SST2 = new Lazy<>(Fixtures::readSst2);

    /** Meta's Llama 2 tokenizer, from the shared tokenizer.model. */
    static SentencePieceModel llama2Model() {
        return LLAMA2.get();
    }

    static Tokenizer llama2() {
        return LLAMA2_TOKENIZER.get();
    }

    /** Llama 3's tokenizer, built through {@link Tokenizers#fromGguf} from llama3-tokenizer-js's vocabulary and merges. */
    static Tokenizer llama3() {
        return LLAMA3_TOKENIZER.get();
    }

    /** A fresh copy of the Llama 3 GGUF-style metadata (the arrays are shared: clone before changing them). */
    static Map<String, Object> llama3Metadata() {
        return new LinkedHashMap<>(LLAMA3.get());
    }

    /** All 67,349 SST-2 training sentences (train.tsv then dev.tsv), as written. */
    static List<String> sst2() {
        return SST2.get();
    }

    private static Map<String, Object> readLlama3() {
        var modules = NodeReference.modules(NodeReference.LLAMA3_PACKAGE, NodeReference.LLAMA3_VERSION);
        List<String> lines = NodeReference.run("llama3-vocab.mjs", List.of(), modules.toString());
        int n = Integer.parseInt(lines.get(0));
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = Json.unquote(lines.get(1 + i));
            // The package lists the 256 special tokens after the 128,000 byte-level ones, as Meta numbers them.
            types[i] = (i < 128000 ? TokenType.NORMAL : TokenType.CONTROL).code();
        }
        String[] merges = lines.subList(1 + n, lines.size()).stream().map(Json::unquote).toArray(String[]::new);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", "llama-bpe");
        m.put("tokenizer.ggml.tokens", tokens);
        m.put("tokenizer.ggml.token_type", types);
        m.put("tokenizer.ggml.merges", merges);
        m.put("tokenizer.ggml.bos_token_id", 128000);
        m.put("tokenizer.ggml.eos_token_id", 128001);
        m.put("tokenizer.ggml.eot_token_id", 128009);
        return m;
    }

    private static List<String> readSst2() throws IOException {
        List<String> sentences = new ArrayList<>();
        for (String file : new String[] {"data/sst2/train.tsv", "data/sst2/dev.tsv"}) {
            List<String> lines = Files.readAllLines(Shared.path(file));
            for (String line : lines.subList(1, lines.size())) {
                int tab = line.lastIndexOf('\t');
                if (tab > 0) sentences.add(line.substring(0, tab));
            }
        }
        return sentences;
    }

    /** A value made once; a failure is kept and thrown again to every caller, with its own message. */
    private static final class Lazy<T> {
        interface Maker<T> {
            T make() throws Exception;
        }

        private final Maker<T> maker;
        private T value;
        private RuntimeException failure;

        Lazy(Maker<T> maker) {
            this.maker = maker;
        }

        synchronized T get() {
            if (value == null && failure == null) {
                try {
                    value = maker.make();
                } catch (Exception | AssertionError e) {
                    failure = new IllegalStateException(e.getMessage(), e);
                }
            }
            if (failure != null) throw failure;
            return value;
        }
    }

    /** Strings that exercise the corners: spaces, newlines, tabs, digits, accents, CJK, emoji, code, contractions. */
    static final List<String> TRICKY = Arrays.asList(
            "grabbed", " grabbed", "           grabbed", "\n", " \n", "\ttabs\t\t\t\tout here", "ax\n####\nboo", "镇", "🦙", "🦙Ꙋ", "Ꙋ🦙",
            "The llama (/ˈlɑːmə/; 🦙Spanish pronunciation: [ˈʎama]) (Lama glama) is a domesticated South American camelid.",
            "Hello, world! It's 2024 and I'll pay $1,234,567.89 (that's 12.5%).", "def f(x):\n    return x ** 2  # squared\n\n\n",
            "naïve café résumé Ünïcödé — “quotes” ‘single’ … ½ ∑ ∞", "日本語のテキストと中文文本，한국어 텍스트.", "Γειά σου Κόσμε! Привет, мир! مرحبا بالعالم",
            "a  b   c    d", "   leading and trailing   ", "CAPS Lock AND MiXeD cAsE", "e-mail: someone@example.com, url: https://x.org/a?b=c&d=e",
            "x\r\ny\rz", "tabs\tand\u00a0nbsp", "I'M YOU'RE THEY'VE WE'LL HE'D SHE'S", "1234567890 12 345 6789", "😀😃😄 🇩🇪 👩‍👩‍👧‍👦",
            "<s> [INST] not special [/INST] </s>", "\u0000\u0001 control \u007f bytes");
}
