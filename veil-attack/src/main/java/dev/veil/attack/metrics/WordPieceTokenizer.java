package dev.veil.attack.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer as a Hugging Face tokenizer.json describes it (BertNormalizer: clean text,
 * space out CJK characters, strip accents, lowercase; BertPreTokenizer: split on whitespace and punctuation;
 * greedy longest-match WordPiece with "##" continuations), wrapped as [CLS] ... [SEP].
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final int unk, cls, sep, maxLength, maxCharsPerWord;

    public WordPieceTokenizer(InputStream tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson);
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) throw new IOException("tokenizer.json is not a WordPiece tokenizer");
        model.path("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        unk = id(model.path("unk_token").asText("[UNK]"));
        cls = id("[CLS]");
        sep = id("[SEP]");
        maxCharsPerWord = model.path("max_input_chars_per_word").asInt(100);
        maxLength = root.path("truncation").path("max_length").asInt(512);
    }

    private int id(String token) throws IOException {
        Integer id = vocab.get(token);
        if (id == null) throw new IOException("tokenizer.json has no " + token);
        return id;
    }

    /** Token ids of {@code text}: [CLS], word pieces (truncated to the model's maximum), [SEP]. */
    public long[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        ids.add(cls);
        outer:
        for (String word : preTokenize(normalize(text))) {
            for (int id : wordPiece(word)) {
                if (ids.size() == maxLength - 1) break outer;
                ids.add(id);
            }
        }
        ids.add(sep);
        return ids.stream().mapToLong(Integer::longValue).toArray();
    }

    static String normalize(String text) {
        var sb = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
            if (isWhitespace(cp)) sb.append(' ');
            else if (isChinese(cp)) sb.append(' ').appendCodePoint(cp).append(' ');
            else sb.appendCodePoint(cp);
        });
        String nfd = Normalizer.normalize(sb, Normalizer.Form.NFD);
        var out = new StringBuilder();
        nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(out::appendCodePoint);
        return out.toString().toLowerCase(java.util.Locale.ROOT);
    }

    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        var cur = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (isWhitespace(cp) || isPunctuation(cp)) {
                if (!cur.isEmpty()) words.add(cur.toString());
                cur.setLength(0);
                if (isPunctuation(cp)) words.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        });
        if (!cur.isEmpty()) words.add(cur.toString());
        return words;
    }

    private List<Integer> wordPiece(String word) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) return List.of(unk);
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String sub = (start > 0 ? "##" : "") + word.substring(start, end);
                found = vocab.get(sub);
                if (found != null) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) return List.of(unk);
            pieces.add(found);
            start = end;
        }
        return pieces;
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE
                || t == Character.UNASSIGNED;
    }

    private static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
