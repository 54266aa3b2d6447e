package dev.veil.attack;

/** An adversary in the weights server's seat: from what the server saw of one sequence, a guess per token. */
public interface Attack {
    /** Short name used in tables and in the {@code TRA <name> ...} lines. */
    String name();

    /**
     * One token guess per position of the sequence (BOS first, then the prompt, then every answer token that was
     * fed back), i.e. per row the server received at the attack's site.
     */
    int[] guess(Observation observation);

    /**
     * The attack's own guess of the token after the last position (the answer's last token, never fed back), or
     * -1 to let the lab run the model on the guesses and take its greedy choice.
     */
    default int next(Observation observation) {
        return -1;
    }
}
