package dev.veil.trust;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * What a verifier accepts, from a properties file:
 *
 * <pre>
 * # the launch measurements (SHA-384, hex) of approved node images; at least one
 * measurement = 7a1e5c26...,  0d3a...
 * # the lowest reported TCB accepted (components left out: 0)
 * min-tcb = bootloader:3,tee:0,snp:8,microcode:115
 * # the defaults:
 * allow-debug = false
 * max-vmpl = 0
 * min-report-version = 2
 * allow-migration-agent = false
 * </pre>
 *
 * An unknown key is an error, so that a typo cannot weaken a policy unnoticed.
 */
public record AttestationPolicy(Set<String> measurements, TcbVersion minTcb, boolean allowDebug, int maxVmpl, int minReportVersion,
                                boolean allowMigrationAgent) {
    private static final Set<String> KEYS = Set.of("measurement", "min-tcb", "allow-debug", "max-vmpl", "min-report-version",
            "allow-migration-agent");

    public AttestationPolicy {
        measurements = Set.copyOf(measurements);
        if (measurements.isEmpty()) throw new IllegalArgumentException("an attestation policy needs at least one measurement");
    }

    /** The strict defaults around one set of measurements. */
    public static AttestationPolicy of(List<byte[]> measurements) {
        var hex = new LinkedHashSet<String>();
        for (byte[] m : measurements) hex.add(HexFormat.of().formatHex(m));
        return new AttestationPolicy(hex, new TcbVersion(0, 0, 0, 0, 0), false, 0, 2, false);
    }

    public static AttestationPolicy load(Path file) {
        try {
            return parse(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("attestation policy " + file + " not found", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read attestation policy " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attestation policy " + file + ": " + e.getMessage(), e);
        }
    }

    public static AttestationPolicy parse(String text) {
        try {
            return parse(new StringReader(text));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AttestationPolicy parse(Reader in) throws IOException {
        var p = new Properties();
        p.load(in);
        for (String k : p.stringPropertyNames()) {
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown key '" + k + "' (" + KEYS + ")");
        }
        var ms = new LinkedHashSet<String>();
        for (String m : p.getProperty("measurement", "").split("[,\\s]+")) {
            if (m.isEmpty()) continue;
            String hex = m.toLowerCase(java.util.Locale.ROOT);
            if (!hex.matches("[0-9a-f]{96}")) throw new IllegalArgumentException("measurement '" + m + "' is not 48 bytes of hex");
            ms.add(hex);
        }
        var minTcb = p.containsKey("min-tcb") ? TcbVersion.parse(p.getProperty("min-tcb")) : new TcbVersion(0, 0, 0, 0, 0);
        return new AttestationPolicy(ms, minTcb,
                bool(p, "allow-debug"), integer(p, "max-vmpl", 0), integer(p, "min-report-version", 2), bool(p, "allow-migration-agent"));
    }

    private static boolean bool(Properties p, String key) {
        String v = p.getProperty(key, "false").strip();
        if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
        return v.equals("true");
    }

    private static int integer(Properties p, String key, int dflt) {
        String v = p.getProperty(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v.strip() + "'");
        }
    }
}
