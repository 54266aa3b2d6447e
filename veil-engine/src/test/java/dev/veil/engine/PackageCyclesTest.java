package dev.veil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Forward;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's packages form a DAG: no package reaches back to one that depends on it. Reads the compiled classes'
 * constant pools (every class name, descriptor and signature a class file mentions), like {@code jdeps}.
 */
class PackageCyclesTest {
    private static final Pattern ENGINE_CLASS = Pattern.compile("dev/veil/engine/[A-Za-z0-9_/$]*");

    @Test
    void engineHasNoPackageCycle() throws Exception {
        Path classes = Path.of(Forward.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, Map<String, String>> graph = packageGraph(classes);
        assertTrue(graph.size() >= 6, "read the engine's packages from " + classes + ": " + graph.keySet());
        List<String> cycles = new ArrayList<>();
        for (String from : graph.keySet()) {
            for (var edge : graph.get(from).entrySet()) {
                List<String> back = path(graph, edge.getKey(), from);
                if (back != null) cycles.add(from + " -> " + String.join(" -> ", back) + " (" + edge.getValue() + ")");
            }
        }
        assertEquals(List.of(), cycles, "package cycles in veil-engine");
    }

    /** The graph finds a cycle that a hand-made back edge closes: the check itself can fail. */
    @Test
    void findsACycle() {
        Map<String, Map<String, String>> graph = new TreeMap<>();
        graph.computeIfAbsent("a", k -> new TreeMap<>()).put("b", "A -> B");
        graph.computeIfAbsent("b", k -> new TreeMap<>()).put("c", "B -> C");
        graph.computeIfAbsent("c", k -> new TreeMap<>()).put("a", "C -> A");
        assertEquals(List.of("b", "c", "a"), path(graph, "b", "a"));
        graph.get("c").remove("a");
        assertEquals(null, path(graph, "b", "a"));
    }

    /** Package to (package it uses, one class-level reference that makes the edge). */
    private static Map<String, Map<String, String>> packageGraph(Path classes) throws IOException {
        Map<String, Map<String, String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                var model = ClassFile.of().parse(file);
                String self = model.thisClass().asInternalName();
                String from = packageOf(self);
                Map<String, String> out = graph.computeIfAbsent(from, k -> new TreeMap<>());
                for (PoolEntry entry : model.constantPool()) {
                    if (!(entry instanceof Utf8Entry utf8)) continue;
                    Matcher m = ENGINE_CLASS.matcher(utf8.stringValue());
                    while (m.find()) {
                        String to = packageOf(m.group());
                        if (!to.equals(from)) out.putIfAbsent(to, self + " uses " + m.group());
                    }
                }
            }
        }
        return graph;
    }

    private static String packageOf(String internalName) {
        return internalName.substring(0, internalName.lastIndexOf('/')).replace('/', '.');
    }

    /** A path from {@code start} to {@code goal} (both included), or null. */
    private static List<String> path(Map<String, Map<String, String>> graph, String start, String goal) {
        return path(graph, start, goal, new TreeSet<>());
    }

    private static List<String> path(Map<String, Map<String, String>> graph, String at, String goal, Set<String> seen) {
        if (at.equals(goal)) return new ArrayList<>(List.of(at));
        if (!seen.add(at)) return null;
        for (String next : graph.getOrDefault(at, Map.of()).keySet()) {
            List<String> rest = path(graph, next, goal, seen);
            if (rest != null) {
                rest.addFirst(at);
                return rest;
            }
        }
        return null;
    }
}
