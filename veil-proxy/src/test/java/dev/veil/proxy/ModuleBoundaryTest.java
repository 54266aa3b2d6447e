package dev.veil.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The proxy is the client's trusted code: what it runs with (its non-test dependencies, transitively through the
 * modules' poms) holds the verifier and TLS, never the node, the weights server or the service.
 */
class ModuleBoundaryTest {
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
    private static final Pattern VEIL_MODULE = Pattern.compile("<artifactId>(veil-[a-z]+)</artifactId>");

    @Test
    void theProxyRunsWithTheVerifierAndTlsOnly() throws Exception {
        assertTrue(Files.readString(Path.of("pom.xml")).contains("<artifactId>veil-proxy</artifactId>"), "run from the module directory");
        Set<String> closure = new TreeSet<>();
        var todo = new ArrayDeque<String>();
        todo.add("veil-proxy");
        while (!todo.isEmpty()) {
            String pom = Files.readString(Path.of("..", todo.poll(), "pom.xml"));
            String deps = pom.substring(pom.indexOf("<dependencies>"), pom.lastIndexOf("</dependencies>"));
            for (var d = DEPENDENCY.matcher(deps); d.find(); ) {
                var m = VEIL_MODULE.matcher(d.group(1));
                if (m.find() && !d.group(1).contains("<scope>test</scope>") && closure.add(m.group(1))) todo.add(m.group(1));
            }
        }
        assertEquals(Set.of("veil-engine", "veil-protocol", "veil-trust"), closure);
    }
}
