package dev.veil.node.cmif;

import java.util.function.IntPredicate;

/** Indices of the k largest values (a bounded min-heap), largest first, ties to the lower index. */
final class TopK {
    private TopK() {}

    /** Over values[offset + j] for j in [0, n) where include(j); {@code first} (or -1) is ranked above all. */
    static int[] select(float[] values, int offset, int n, int k, IntPredicate include, int first) {
        float[] heap = new float[k];
        int[] ids = new int[k];
        int size = 0;
        for (int j = 0; j < n; j++) {
            if (!include.test(j)) continue;
            float v = j == first ? Float.POSITIVE_INFINITY : values[offset + j];
            if (size < k) {
                heap[size] = v;
                ids[size] = j;
                siftUp(heap, ids, size++);
            } else if (before(v, j, heap[0], ids[0])) {
                heap[0] = v;
                ids[0] = j;
                siftDown(heap, ids, k);
            }
        }
        int[] out = new int[size];
        for (int i = size - 1; i >= 0; i--) { // pop the smallest into the back
            out[i] = ids[0];
            heap[0] = heap[i];
            ids[0] = ids[i];
            siftDown(heap, ids, i);
        }
        return out;
    }

    /** Whether (v, j) ranks above (w, i): larger value, then lower index. */
    private static boolean before(float v, int j, float w, int i) {
        return v > w || (v == w && j < i);
    }

    private static void siftUp(float[] h, int[] ids, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!before(h[p], ids[p], h[i], ids[i])) return;
            swap(h, ids, p, i);
            i = p;
        }
    }

    private static void siftDown(float[] h, int[] ids, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && before(h[m], ids[m], h[l], ids[l])) m = l;
            if (r < size && before(h[m], ids[m], h[r], ids[r])) m = r;
            if (m == i) return;
            swap(h, ids, m, i);
            i = m;
        }
    }

    private static void swap(float[] h, int[] ids, int a, int b) {
        float t = h[a]; h[a] = h[b]; h[b] = t;
        int ti = ids[a]; ids[a] = ids[b]; ids[b] = ti;
    }
}
