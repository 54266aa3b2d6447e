package dev.veil.engine.model;

import dev.veil.engine.ModelFormatException;

/**
 * Llama 3 RoPE frequency scaling: frequencies whose wavelength exceeds the original context are divided by
 * {@code factor}, short wavelengths are kept, and those in between are interpolated smoothly.
 * Llama 3.1/3.2 use factor 32 (3.2) or 8 (3.1), low 1, high 4, original context 8192.
 */
public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {
    public RopeScaling {
        if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
            throw new ModelFormatException("invalid Llama 3 rope scaling: factor " + factor + ", low " + lowFreqFactor
                    + ", high " + highFreqFactor + ", original context " + originalContext);
        }
    }

    /** The per-frequency divisors (headDim/2 values) as llama.cpp stores them in {@code rope_freqs.weight}. */
    public float[] factors(int headDim, float theta) {
        float[] f = new float[headDim / 2];
        double lowWavelen = originalContext / lowFreqFactor, highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1f;
            } else if (wavelen > lowWavelen) {
                f[i] = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }
}
