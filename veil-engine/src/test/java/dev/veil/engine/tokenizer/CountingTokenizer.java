package dev.veil.engine.tokenizer;

/** A tokenizer that counts the tokens it decodes, to show a decoder touches each token a bounded number of times. */
public final class CountingTokenizer implements Tokenizer {
    private final Tokenizer inner;
    private long decoded;

    public CountingTokenizer(Tokenizer inner) {
        this.inner = inner;
    }

    /** Tokens decoded so far, counting a token again each time it is decoded again. */
    public long decoded() {
        return decoded;
    }

    @Override
    public Vocabulary vocabulary() {
        return inner.vocabulary();
    }

    @Override
    public int[] encode(String text, boolean textStart) {
        return inner.encode(text, textStart);
    }

    @Override
    public String decode(int previous, int[] tokens) {
        decoded += tokens.length;
        return inner.decode(previous, tokens);
    }

    @Override
    public TokenBytes tokenBytes(int previous) {
        TokenBytes pieces = inner.tokenBytes(previous);
        return t -> {
            decoded++;
            return pieces.next(t);
        };
    }
}
