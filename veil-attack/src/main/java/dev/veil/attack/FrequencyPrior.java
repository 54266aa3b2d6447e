package dev.veil.attack;

import java.util.List;

/**
 * The floor: guesses the most frequent prompt token at every prompt position and the most frequent answer token
 * at every answer position, from counts on public text. An attack that does not beat it has learnt nothing.
 */
public final class FrequencyPrior implements Attack {
    private final int promptToken, answerToken;

    public FrequencyPrior(int promptToken, int answerToken) {
        this.promptToken = promptToken;
        this.answerToken = answerToken;
    }

    /** Counts tokens of public prompts (BOS excluded when {@code skipFirst}) and public answers. */
    public static FrequencyPrior fit(List<int[]> prompts, List<int[]> answers, int vocab, boolean skipFirst) {
        return new FrequencyPrior(mostFrequent(prompts, vocab, skipFirst ? 1 : 0), mostFrequent(answers, vocab, 0));
    }

    static int mostFrequent(List<int[]> sequences, int vocab, int skip) {
        long[] counts = new long[vocab];
        for (int[] s : sequences) for (int i = skip; i < s.length; i++) counts[s[i]]++;
        int best = 0;
        for (int t = 1; t < vocab; t++) if (counts[t] > counts[best]) best = t;
        return best;
    }

    @Override
    public String name() {
        return "frequency-prior";
    }

    @Override
    public int[] guess(Observation o) {
        int[] g = new int[o.positions()];
        int prompt = o.promptLength();
        for (int i = 0; i < g.length; i++) g[i] = i < prompt ? promptToken : answerToken;
        return g;
    }
}
