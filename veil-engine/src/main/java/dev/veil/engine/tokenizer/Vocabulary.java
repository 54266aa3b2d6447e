package dev.veil.engine.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token list every tokenizer shares: pieces as the vocabulary spells them, their {@link TokenType}s, the
 * special ids (BOS, EOS, unknown) and the stop set. Immutable.
 *
 * <p>The stop set is EOS, the model's end-of-turn ids, the control pieces of {@link #END_OF_GENERATION}, and BOS.
 * A sampled BOS begins a new text, never a continuation of the prompt, so generation stops there for every model,
 * whatever its file format: llama2.c's run.c stops at BOS because its training data (TinyStories, a BOS before each
 * story and no EOS) marks a text's end only by the next one's BOS, and llama.cpp's conversion of such a model
 * (stories260K.gguf) names EOS 2, which the model never emits, and nothing in its metadata says it came from llama2.c.
 * A model trained with EOS emits EOS before any BOS, so for it the BOS stop changes nothing.
 */
public final class Vocabulary {
    /** Pieces that end a turn or a text in the supported families; generation stops at them (as llama.cpp does). */
    private static final Set<String> END_OF_GENERATION = Set.of(
            "</s>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>");

    private final String[] pieces;
    private final TokenType[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int bos, eos, unk;
    private final boolean addBos;
    private final BitSet stops = new BitSet();
    private final String chatTemplate;
    private final List<String> userDefined = new ArrayList<>();

    /**
     * @param types         per-token types, or null to infer them ({@code <0xXX>} bytes; BOS, EOS and
     *                      {@code <|...|>} control; the rest normal), as for llama2.c vocabularies
     * @param unk           the unknown token, or -1
     * @param addBos        whether a text starts with BOS (false for Qwen)
     * @param extraStops    end-of-turn ids named by the model (GGUF {@code eot_token_id}, {@code eom_token_id})
     * @param chatTemplate  the model's Jinja chat template ({@code tokenizer.chat_template}), or null
     */
    public Vocabulary(String[] pieces, TokenType[] types, int bos, int eos, int unk, boolean addBos, int[] extraStops,
            String chatTemplate) {
        if (types != null && types.length != pieces.length) {
            throw new IllegalArgumentException(types.length + " token types for " + pieces.length + " tokens");
        }
        this.pieces = pieces.clone();
        this.types = types != null ? types.clone() : inferTypes(pieces, bos, eos, unk);
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.addBos = addBos;
        this.chatTemplate = chatTemplate;
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            if (this.types[i] == TokenType.USER_DEFINED) userDefined.add(pieces[i]);
            if (this.types[i] == TokenType.CONTROL && END_OF_GENERATION.contains(pieces[i])) stops.set(i);
        }
        if (eos >= 0) stops.set(eos);
        if (bos >= 0) stops.set(bos);
        for (int t : extraStops) if (t >= 0 && t < pieces.length) stops.set(t);
        // Longest first, so that a user-defined piece is never cut short by a prefix of it.
        userDefined.sort((a, b) -> b.length() - a.length());
    }

    private static TokenType[] inferTypes(String[] pieces, int bos, int eos, int unk) {
        TokenType[] t = new TokenType[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            t[i] = i == bos || i == eos || pieces[i].startsWith("<|") && pieces[i].endsWith("|>") ? TokenType.CONTROL
                    : i == unk ? TokenType.UNKNOWN
                    : byteValue(pieces[i]) >= 0 ? TokenType.BYTE : TokenType.NORMAL;
        }
        return t;
    }

    public int size() { return pieces.length; }
    public String piece(int id) { return pieces[id]; }
    public TokenType type(int id) { return types[id]; }
    public int bos() { return bos; }
    public int eos() { return eos; }
    public int unk() { return unk; }
    public boolean addBos() { return addBos; }
    public String chatTemplate() { return chatTemplate; }
    public boolean isStop(int id) { return id >= 0 && stops.get(id); }

    /** Id of the first token spelled {@code piece}, of any type, or -1. */
    public int id(String piece) {
        return ids.getOrDefault(piece, -1);
    }

    /** Id of {@code piece} when it is a token of type {@code type}, else -1. */
    public int id(String piece, TokenType type) {
        int id = id(piece);
        return id >= 0 && types[id] == type ? id : -1;
    }

    /** Encodes {@code s[from, to)} with the tokenizer's algorithm. */
    interface RunEncoder {
        void encode(String s, int from, int to, IntList out);
    }

    /** Encodes {@code s}: user-defined pieces whole wherever they occur, the runs between them by {@code run}. */
    void encode(String s, RunEncoder run, IntList out) {
        int runStart = 0;
        for (int i = 0; i < s.length() && !userDefined.isEmpty(); ) {
            String user = userDefinedAt(s, i);
            if (user == null) {
                i++;
                continue;
            }
            run.encode(s, runStart, i, out);
            out.add(id(user));
            i += user.length();
            runStart = i;
        }
        run.encode(s, runStart, s.length(), out);
    }

    /** The user-defined piece that starts at {@code at} in {@code text}, longest first, or null. */
    private String userDefinedAt(String text, int at) {
        for (String p : userDefined) if (text.startsWith(p, at)) return p;
        return null;
    }

    /** The byte a {@code <0xXX>} piece stands for, or -1. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16), lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    @Override
    public String toString() {
        return "Vocabulary[" + pieces.length + " tokens, bos " + bos + ", eos " + eos + ", stops " + stops
                + ", " + userDefined.size() + " user-defined]";
    }
}
