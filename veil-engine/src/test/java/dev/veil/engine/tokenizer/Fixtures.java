package dev.veil.engine.tokenizer;

import dev.veil.engine.Shared;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The real tokenizers and corpus the tests share, loaded once. */
final class Fixtures {
    private Fixtures() {}

    /** Meta's Llama 2 tokenizer, from the shared tokenizer.model. */
    static SentencePieceModel llama2Model() {
        return Llama2.MODEL;
    }

    static Tokenizer llama2() {
        return Llama2.TOKENIZER;
    }

    /** Llama 3's tokenizer, built through {@link Tokenizers#fromGguf} from llama3-tokenizer-js's vocabulary and merges. */
    static Tokenizer llama3() {
        return Llama3.TOKENIZER;
    }

    static Map<String, Object> llama3Metadata() {
        return new LinkedHashMap<>(Llama3.METADATA);
    }

    /** All 67,349 SST-2 training sentences (train.tsv then dev.tsv), as written. */
    static List<String> sst2() {
        return Sst2.SENTENCES;
    }

    private static final class Llama2 {
        static final SentencePieceModel MODEL;
        static final Tokenizer TOKENIZER;

        static {
            try {
                MODEL = SentencePieceModel.read(Shared.path("models/llama2-tokenizer/tokenizer.model"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            TOKENIZER = MODEL.tokenizer();
        }
    }

    private static final class Llama3 {
        static final Map<String, Object> METADATA = new LinkedHashMap<>();
        static final Tokenizer TOKENIZER;

        static {
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
            METADATA.put("tokenizer.ggml.model", "gpt2");
            METADATA.put("tokenizer.ggml.pre", "llama-bpe");
            METADATA.put("tokenizer.ggml.tokens", tokens);
            METADATA.put("tokenizer.ggml.token_type", types);
            METADATA.put("tokenizer.ggml.merges", merges);
            METADATA.put("tokenizer.ggml.bos_token_id", 128000);
            METADATA.put("tokenizer.ggml.eos_token_id", 128001);
            METADATA.put("tokenizer.ggml.eot_token_id", 128009);
            TOKENIZER = Tokenizers.fromGguf(METADATA);
        }
    }

    private static final class Sst2 {
        static final List<String> SENTENCES = new ArrayList<>();

        static {
            for (String file : new String[] {"data/sst2/train.tsv", "data/sst2/dev.tsv"}) {
                try {
                    List<String> lines = Files.readAllLines(Shared.path(file));
                    for (String line : lines.subList(1, lines.size())) {
                        int tab = line.lastIndexOf('\t');
                        if (tab > 0) SENTENCES.add(line.substring(0, tab));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
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
