package dev.veil.node;

import java.util.Locale;

/** Byte counts for people: "812 B", "3.4 KiB", "12.0 MiB", "1.25 GiB". */
public final class Bytes {
    private Bytes() {}

    public static String format(long b) {
        if (b < 10 << 10) return b + " B";
        if (b < 10 << 20) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 10L << 30) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }
}
