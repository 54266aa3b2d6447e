package dev.veil.node.cmif;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** The sensitive ids: the least frequent share of the eligible vocabulary, counted on a corpus. */
public final class SensitiveSet {
    private final boolean[] member;
    private final int[] ids;

    private SensitiveSet(boolean[] member) {
        this.member = member;
        this.ids = IntStream.range(0, member.length).filter(i -> member[i]).toArray();
    }

    /**
     * The {@code share} least frequent eligible ids by {@code counts} (ties: the later id counts as rarer, as
     * vocabularies list frequent entries first).
     */
    public static SensitiveSet leastFrequent(EmbeddingSpace space, long[] counts, double share) {
        if (counts.length != space.size()) throw new IllegalArgumentException("need one count per id");
        if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("sensitive share must be in [0, 1], got " + share);
        Integer[] eligible = IntStream.range(0, space.size()).filter(space::eligible).boxed().toArray(Integer[]::new);
        Arrays.sort(eligible, Comparator.<Integer>comparingLong(i -> counts[i]).thenComparing(Comparator.reverseOrder()));
        boolean[] member = new boolean[space.size()];
        int n = (int) Math.round(share * eligible.length);
        for (int i = 0; i < n; i++) member[eligible[i]] = true;
        return new SensitiveSet(member);
    }

    /** Counts of each id of {@code space} over a corpus already mapped to ids (negative ids are skipped). */
    public static long[] count(EmbeddingSpace space, Iterable<int[]> corpus) {
        long[] counts = new long[space.size()];
        for (int[] doc : corpus) for (int id : doc) if (id >= 0) counts[id]++;
        return counts;
    }

    public boolean contains(int id) { return member[id]; }

    /** The sensitive ids, ascending. */
    public int[] ids() { return ids.clone(); }

    public int size() { return ids.length; }

    int id(int index) { return ids[index]; }
}
