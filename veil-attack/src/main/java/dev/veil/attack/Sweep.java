package dev.veil.attack;

import java.util.List;
import java.util.Map;

/**
 * One line of the privacy report: the scheme {@code scheme} with {@code fixed} parameters, {@code param} taking each of
 * {@code values} (none: the scheme once at its defaults, its setting as it describes itself), and how to plot it.
 *
 * @param prefix a value's setting in the report's rows is prefix + value ("m/d=1/8")
 * @param plot   TRA against the setting, or null for no plot
 */
public record Sweep(String label, String scheme, Map<String, String> fixed, String param, String prefix, List<String> values, Plot plot) {
    public record Plot(String title, String xLabel, String file) {}

    /** The scheme once, at its defaults. */
    public static Sweep once(String scheme) {
        return new Sweep(scheme, scheme, Map.of(), null, "", List.of(""), null);
    }

    /** A sweep option's values: "1/4,3/4" → [1/4, 3/4]. */
    public static List<String> values(String list) {
        return List.of(list.split(","));
    }
}
