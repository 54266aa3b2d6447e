package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.oip.Oip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * The deployment on paper (deploy/*.yaml, docs/deploy.md) against what Veil produces: every manifest parses; the models
 * Triton is told to load are exactly the models of a real `veil export --format triton` of stories260K; the OIP port is
 * one port throughout (Triton's flag, the container, the route) and the one docs/oip.md documents; every route is under
 * /v2/, where the node's client sends everything; the node's command line parses with the node jar's real `serve`
 * command, names only oips:// weights servers, and those are the mutual-TLS ingress's host and port.
 */
@Timeout(300)
class DeployManifestsTest {
    static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents() throws IOException {
        var yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        var docs = new ArrayList<Map<String, Object>>();
        try (Stream<Path> files = Files.list(DEPLOY)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object d : yaml.loadAll(Files.readString(f))) {
                    var doc = (Map<String, Object>) d;
                    assertNotNull(doc.get("apiVersion"), f + ": a document without apiVersion");
                    assertNotNull(doc.get("kind"), f + ": a document without kind");
                    assertNotNull(((Map<String, Object>) doc.get("metadata")).get("name"), f + ": a document without a name");
                    docs.add(doc);
                }
            }
        }
        assertTrue(docs.size() >= 7, "the manifests: " + docs.size() + " documents");
        return docs;
    }

    static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
        var of = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, of.size(), "one " + kind);
        return of.getFirst();
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, Object... path) {
        Object o = node;
        for (Object key : path) {
            o = key instanceof Integer i ? ((List<Object>) o).get(i) : ((Map<String, Object>) o).get(key);
            assertNotNull(o, "no " + key + " in " + List.of(path));
        }
        return (T) o;
    }

    @Test
    void tritonLoadsExactlyTheModelsOfAnExportOnTheDocumentedPort(@TempDir Path tmp) throws IOException {
        var run = CliRun.of("export", "--model", Shared.storiesBin().toString(), "--numeric", "exact", "--format", "triton", "--out",
                tmp.resolve("stories260K-exact").toString());
        assertEquals(0, run.code(), run.err());
        Set<String> exported;
        try (Stream<Path> dirs = Files.list(tmp.resolve("stories260K-exact"))) {
            exported = dirs.filter(d -> Files.isRegularFile(d.resolve("config.pbtxt"))).map(d -> d.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(21, exported.size(), "stories260K: 4 matrices in each of 5 layers and the LM head");

        var docs = documents();
        var isvc = one(docs, "InferenceService");
        assertEquals("v2", at(isvc, "spec", "predictor", "model", "protocolVersion"));
        assertEquals("triton", at(isvc, "spec", "predictor", "model", "modelFormat", "name"));
        assertTrue(this.<String>at(isvc, "spec", "predictor", "model", "storageUri").endsWith("/stories260K-exact"));
        List<String> args = at(isvc, "spec", "predictor", "model", "args");
        Set<String> loaded = args.stream().filter(a -> a.startsWith("--load-model=")).map(a -> a.substring(13))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(exported, loaded, "the models Triton loads are the export's");
        assertTrue(args.contains("--strict-model-config=true"));
        assertTrue((int) at(isvc, "spec", "predictor", "maxReplicas") > (int) at(isvc, "spec", "predictor", "minReplicas"),
                "replicas scaled by load");

        int port = Integer.parseInt(args.stream().filter(a -> a.startsWith("--http-port=")).findFirst().orElseThrow().substring(12));
        assertEquals(8000, port, "Triton's HTTP port, the one docs/oip.md runs --oip-http-port on");
        assertTrue(Files.readString(DEPLOY.resolve("../docs/oip.md")).contains("--oip-http-port 8000"));
        assertEquals(port, (int) at(isvc, "spec", "predictor", "model", "ports", 0, "containerPort"));
        var route = one(docs, "VirtualService");
        assertEquals(port, (int) at(route, "spec", "http", 0, "route", 0, "destination", "port", "number"));
        assertEquals("/v2/", at(route, "spec", "http", 0, "match", 0, "uri", "prefix"));
        assertTrue(this.<String>at(route, "spec", "http", 0, "route", 0, "destination", "host")
                .startsWith(at(isvc, "metadata", "name") + "-predictor."));
        var policy = one(docs, "NetworkPolicy");
        assertEquals(port, (int) at(policy, "spec", "ingress", 0, "ports", 0, "port"), "only the ingress reaches the OIP port");
    }

    /**
     * Triton loads the models the node asks for: the node's OIP names ({@link Oip#name}) of every matrix of stories260K in
     * Z_2^64, the ring of remo-otp (the node's scheme in deploy/veil-node.yaml). TritonRepositoryTest checks every request
     * of a real node against an export's configs; this checks the manifest names those same models.
     */
    @Test
    void tritonLoadsTheModelsTheNodeAsksFor() throws IOException {
        var node = new TreeSet<String>();
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? 5 : 1); l++) node.add(Oip.name(new MatrixId(p, l), Ring.Z64));
        }
        var docs = documents();
        List<String> args = at(one(docs, "InferenceService"), "spec", "predictor", "model", "args");
        var loaded = args.stream().filter(a -> a.startsWith("--load-model=")).map(a -> a.substring(13))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(node, loaded, "the models Triton loads are the ones the node asks for");
        Map<String, Object> container = at(docs.stream().filter(d -> "Deployment".equals(d.get("kind"))).findFirst().orElseThrow(),
                "spec", "template", "spec", "containers", 0);
        List<String> serve = at(container, "args");
        assertEquals("remo-otp", serve.get(serve.indexOf("--scheme") + 1), "a scheme whose linear calls are in Z_2^64");
    }

    @Test
    void theNodesCommandLineParsesWithServeAndDialsOnlyTheMutualTlsIngress() throws IOException {
        var docs = documents();
        var node = docs.stream().filter(d -> "Deployment".equals(d.get("kind"))).findFirst().orElseThrow();
        assertEquals("kata-qemu-snp", at(node, "spec", "template", "spec", "runtimeClassName"));
        Map<String, Object> container = at(node, "spec", "template", "spec", "containers", 0);
        List<String> command = at(container, "command");
        assertEquals("/opt/veil/veil-node.jar", command.getLast(), "the node jar, nothing else");
        List<String> args = at(container, "args");

        var cli = new CommandLine(new NodeMain());
        var parsed = cli.parseArgs(args.toArray(String[]::new)); // picocli's parse: unknown or malformed options throw
        assertTrue(parsed.hasSubcommand());
        var serve = parsed.subcommand();
        assertEquals("serve", serve.commandSpec().name());
        assertTrue(serve.unmatched().isEmpty(), serve.unmatched().toString());
        List<String> servers = serve.matchedOptionValue("--weights-server", List.of());
        assertFalse(servers.isEmpty());
        Map<String, Object> gateway = one(docs, "Gateway");
        String host = at(gateway, "spec", "servers", 0, "hosts", 0);
        int port = at(gateway, "spec", "servers", 0, "port", "number");
        assertEquals("MUTUAL", at(gateway, "spec", "servers", 0, "tls", "mode"));
        for (String s : servers) assertEquals("oips://" + host + ":" + port, s, "the node dials the mutual-TLS ingress over OIP");
        assertNotNull(serve.matchedOptionValue("--tls-dir", null), "oips:// needs the node's TLS identity");
        String mount = at(container, "volumeMounts", 0, "mountPath");
        assertEquals(mount, serve.matchedOptionValue("--tls-dir", Path.of("")).toString());
        String apiPort = serve.matchedOptionValue("--port", 0) + "";
        assertEquals(apiPort, at(container, "ports", 0, "containerPort") + "");
    }
}
