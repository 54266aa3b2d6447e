package dev.veil.attack;

import dev.veil.protocol.Rows;

/**
 * Projection onto the orthogonal complement of rowspace(Mpub). Every ReMO mask Mpvt·Mpub lies in that row
 * space, so for a masked row ê = e + m the projection gives P·ê = P·e exactly: the server reads e's
 * d_in − m dimensional component without knowing any mask.
 */
public final class Complement {
    private final int d;
    private final double[][] basis; // orthonormal rows spanning rowspace(Mpub)

    private Complement(int d, double[][] basis) {
        this.d = d;
        this.basis = basis;
    }

    /** Orthonormalizes Mpub's rows (m × d_in; modified Gram-Schmidt, twice, in double). */
    public static Complement of(Rows.Floats base) {
        int m = base.rows(), d = base.cols();
        var kept = new java.util.ArrayList<double[]>();
        double scale = 0;
        for (int i = 0; i < m * d; i++) scale = Math.max(scale, Math.abs(base.data()[i]));
        for (int r = 0; r < m; r++) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) v[i] = base.data()[r * d + i];
            for (int pass = 0; pass < 2; pass++) {
                for (double[] b : kept) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += b[i] * v[i];
                    for (int i = 0; i < d; i++) v[i] -= dot * b[i];
                }
            }
            double norm = 0;
            for (double x : v) norm += x * x;
            norm = Math.sqrt(norm);
            if (norm > 1e-9 * scale * Math.sqrt(d)) {
                for (int i = 0; i < d; i++) v[i] /= norm;
                kept.add(v);
            }
        }
        return new Complement(d, kept.toArray(double[][]::new));
    }

    /** Dimension of the complement: d_in − rank(Mpub). */
    public int dimension() {
        return d - basis.length;
    }

    /** Rows (n × d) minus their component in rowspace(Mpub). */
    public float[] project(float[] rows) {
        if (rows.length % d != 0) throw new IllegalArgumentException(rows.length + " values are not rows of width " + d);
        float[] out = new float[rows.length];
        for (int o = 0; o < rows.length; o += d) {
            double[] x = new double[d];
            for (int i = 0; i < d; i++) x[i] = rows[o + i];
            for (double[] b : basis) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += b[i] * x[i];
                for (int i = 0; i < d; i++) x[i] -= dot * b[i];
            }
            for (int i = 0; i < d; i++) out[o + i] = (float) x[i];
        }
        return out;
    }
}
