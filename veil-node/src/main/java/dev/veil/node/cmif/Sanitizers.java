package dev.veil.node.cmif;

import java.nio.file.Path;
import java.util.List;

/** Builds a sanitizer by name, and says where derived data (candidate lists) is cached. */
public final class Sanitizers {
    public static final List<String> NAMES = List.of("rnm", "santext+", "custext+", "em");

    private Sanitizers() {}

    /**
     * @param counts    corpus frequency of each id of {@code space} (sensitive set, CusText+'s set order)
     * @param cacheDir  where candidate lists are cached ({@link #defaultCacheDir()} normally)
     */
    public static Sanitizer create(String name, EmbeddingSpace space, long[] counts, SanitizerParams params, Path cacheDir) {
        return switch (name) {
            case "rnm" -> new ReportNoisyMax(space, Neighbors.of(space, params.k(), cacheDir),
                    SensitiveSet.leastFrequent(space, counts, params.sensitiveShare()), params);
            case "santext+" -> new SanTextPlus(space, SensitiveSet.leastFrequent(space, counts, params.sensitiveShare()), params);
            case "custext+" -> new CusTextPlus(space, counts, params);
            case "em" -> new VocabularyExponentialMechanism(space, params);
            default -> throw new IllegalArgumentException("unknown sanitizer '" + name + "' (choose one of " + String.join(", ", NAMES) + ")");
        };
    }

    /**
     * The cache directory: system property {@code veil.cache}, else {@code VEIL_CACHE}, else
     * {@code ~/.cache/veil}; sanitizer data goes to its {@code cmif} folder. Never inside the repository.
     */
    public static Path defaultCacheDir() {
        String dir = System.getProperty("veil.cache", System.getenv("VEIL_CACHE"));
        Path root = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "veil");
        return root.resolve("cmif");
    }
}
