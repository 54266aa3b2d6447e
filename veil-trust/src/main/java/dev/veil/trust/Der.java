package dev.veil.trust;

import java.util.Arrays;

/** Just enough DER to read AMD's certificate extensions: one tag-length-value at a time. */
final class Der {
    private Der() {}

    /** The value of the single TLV in {@code der} when its tag is {@code tag}, else null (also for null input). */
    static byte[] unwrap(byte[] der, int tag) {
        if (der == null || der.length < 2 || (der[0] & 0xFF) != tag) return null;
        int len = der[1] & 0xFF, at = 2;
        if (len > 0x80) {
            int n = len - 0x80;
            if (n > 3 || der.length < 2 + n) return null;
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (der[2 + i] & 0xFF);
            at += n;
        } else if (len == 0x80) {
            return null;
        }
        if (at + len != der.length) return null;
        return Arrays.copyOfRange(der, at, at + len);
    }
}
