package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.LE_FLOAT;
import static dev.veil.engine.tensor.Layouts.LE_LONG;
import static dev.veil.engine.tensor.Layouts.LE_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * Converts floats to the bytes of a GGML tensor type, following ggml's reference quantizers
 * ({@code quantize_row_*_ref} in ggml-quants.c, without importance weights) step by step in float arithmetic,
 * so the output is deterministic and matches what llama.cpp's tools write for the same input. Used by the GGUF
 * writer and the random-model generator.
 */
public final class Quantizer {
    private Quantizer() {}

    /** {@code values} as a tensor of {@code type}; the length must be a whole number of blocks. */
    public static byte[] quantize(GGMLType type, float[] values) {
        byte[] out = new byte[Math.toIntExact(type.byteSize(values.length))];
        quantize(type, values, 0, values.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** Writes values[offset, offset + count) as {@code type} to dst at byte dstOffset (for streaming large tensors). */
    public static void quantize(GGMLType type, float[] values, int offset, int count, MemorySegment dst, long dstOffset) {
        if (!GGMLType.SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + " (supported: " + GGMLType.SUPPORTED + ")");
        }
        long bytes = type.byteSize(count);
        if (offset < 0 || count < 0 || offset + count > values.length) {
            throw new IllegalArgumentException("range " + offset + "+" + count + " outside " + values.length + " values");
        }
        if (dstOffset < 0 || dstOffset + bytes > dst.byteSize()) {
            throw new IllegalArgumentException(count + " values of " + type + " need " + bytes + " bytes at " + dstOffset
                    + ", destination has " + dst.byteSize());
        }
        int blocks = count / type.blockSize;
        for (int b = 0; b < blocks; b++) {
            int x = offset + b * type.blockSize;
            long o = dstOffset + (long) b * type.typeSize;
            switch (type) {
                case F32 -> dst.set(LE_FLOAT, o, values[x]);
                case F16 -> dst.set(LE_SHORT, o, Float.floatToFloat16(values[x]));
                case BF16 -> dst.set(LE_SHORT, o, toBf16(values[x]));
                case Q8_0 -> q8_0(values, x, dst, o);
                case Q4_0 -> q4_0(values, x, dst, o);
                case Q4_K -> q4_K(values, x, dst, o);
                case Q6_K -> q6_K(values, x, dst, o);
                default -> throw new AssertionError(type);
            }
        }
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even; NaNs stay (quiet) NaNs. */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    private static void q8_0(float[] x, int at, MemorySegment dst, long o) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]));
        float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
        dst.set(LE_SHORT, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) dst.set(BYTE, o + 2 + j, (byte) roundf(x[at + j] * id));
    }

    private static void q4_0(float[] x, int at, MemorySegment dst, long o) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[at + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f, id = d != 0f ? 1f / d : 0f;
        dst.set(LE_SHORT, o, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[at + j] * id + 8.5f)), hi = Math.min(15, (int) (x[at + 16 + j] * id + 8.5f));
            dst.set(BYTE, o + 2 + j, (byte) (lo | hi << 4));
        }
    }

    private static void q4_K(float[] x, int at, MemorySegment dst, long o) {
        int[] levels = new int[256], aux = new int[32];
        float[] weights = new float[32], mins = new float[8], scales = new float[8];
        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) sumX2 += x[at + 32 * j + l] * x[at + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[at + 32 * j + l]);
            float[] min = new float[1];
            scales[j] = makeQkx2Quants(32, 15, x, at + 32 * j, weights, levels, 32 * j, min, aux, -1f, 0.1f, 20);
            mins[j] = min[0];
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF), lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 15) | ((lm & 15) << 4));
                packed[j - 4] |= (byte) ((ls >> 4) << 6);
                packed[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dBits = Float.floatToFloat16(maxScale / 63f), dminBits = Float.floatToFloat16(maxMin / 63f);
        dst.set(LE_SHORT, o, dBits);
        dst.set(LE_SHORT, o + 2, dminBits);
        MemorySegment.copy(packed, 0, dst, BYTE, o + 4, 12);
        long h = dst.get(LE_LONG, o), s = dst.get(LE_LONG, o + 8);
        for (int j = 0; j < 8; j++) {
            float d = Float.float16ToFloat(dBits) * Q4_KTensor.scaleMin(h, s, j, true);
            if (d == 0f) continue;
            float dm = Float.float16ToFloat(dminBits) * Q4_KTensor.scaleMin(h, s, j, false);
            for (int ii = 0; ii < 32; ii++) {
                levels[32 * j + ii] = Math.clamp(nearestInt((x[at + 32 * j + ii] + dm) / d), 0, 15);
            }
        }
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                dst.set(BYTE, o + 16 + 32 * c + l, (byte) (levels[64 * c + l] | (levels[64 * c + 32 + l] << 4)));
            }
        }
    }

    private static void q6_K(float[] x, int at, MemorySegment dst, long o) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0f, maxAbsScale = 0f;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, at + 16 * ib, levels, 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            dst.asSlice(o, GGMLType.Q6_K.typeSize).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        short dBits = Float.floatToFloat16(1 / iscale);
        dst.set(LE_SHORT, o + 208, dBits);
        byte[] sc = new byte[16];
        for (int ib = 0; ib < 16; ib++) sc[ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        MemorySegment.copy(sc, 0, dst, BYTE, o + 192, 16);
        for (int j = 0; j < 16; j++) {
            float d = Float.float16ToFloat(dBits) * sc[j];
            if (d == 0f) continue;
            for (int ii = 0; ii < 16; ii++) levels[16 * j + ii] = Math.clamp(nearestInt(x[at + 16 * j + ii] / d), -32, 31) + 32;
        }
        for (int half = 0; half < 2; half++) {
            int j = 128 * half;
            long ql = o + 64 * half, qh = o + 128 + 32 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l], q2 = levels[j + l + 32], q3 = levels[j + l + 64], q4 = levels[j + l + 96];
                dst.set(BYTE, ql + l, (byte) ((q1 & 15) | ((q3 & 15) << 4)));
                dst.set(BYTE, ql + 32 + l, (byte) ((q2 & 15) | ((q4 & 15) << 4)));
                dst.set(BYTE, qh + l, (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }

    private static final float GROUP_MAX_EPS = 1e-15f;

    /** C's roundf: halves away from zero. */
    static float roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (float) (v < 0 ? -a : a);
    }

    /** ggml's nearest_int: round half to even through the float adder (valid for |f| &lt;= 4194303). */
    static int nearestInt(float f) {
        return (Float.floatToRawIntBits(f + 12582912f) & 0x007fffff) - 0x00400000;
    }

    /** ggml's make_qx_quants with rmse_type 1 and no importance weights: signed levels in [-nmax, nmax). */
    private static float makeQxQuants(int n, int nmax, float[] x, int at, int[] levels, int lAt) {
        float max = 0f, amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[at + i]);
            if (ax > amax) {
                amax = ax;
                max = x[at + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lAt + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max, sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearestInt(iscale * x[at + i]), -nmax, nmax - 1);
            levels[lAt + i] = l + nmax;
            float w = x[at + i] * x[at + i];
            sumlx += w * x[at + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f, best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0f;
            suml2 = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearestInt(iscale * x[at + i]), -nmax, nmax - 1);
                float w = x[at + i] * x[at + i];
                sumlx += w * x[at + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) levels[lAt + i] = nmax + Math.clamp(nearestInt(iscale * x[at + i]), -nmax, nmax - 1);
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** ggml's make_qkx2_quants (squared error): levels in [0, nmax] for value = scale·l - theMin. */
    private static float makeQkx2Quants(int n, int nmax, float[] x, int at, float[] weights, int[] levels, int lAt,
                                        float[] theMin, int[] aux, float rmin, float rdelta, int nstep) {
        float min = x[at], max = x[at], sumW = weights[0], sumX = sumW * x[at];
        for (int i = 1; i < n; i++) {
            if (x[at + i] < min) min = x[at + i];
            if (x[at + i] > max) max = x[at + i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[at + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lAt + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min), scale = 1 / iscale, bestError = 0f;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearestInt(iscale * (x[at + i] - min)), 0, nmax);
            levels[lAt + i] = l;
            float diff = scale * l + min - x[at + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f, sumL2 = 0f, sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearestInt(iscale * (x[at + i] - min)), 0, nmax);
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[at + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det, thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[at + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, levels, lAt, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }
}
