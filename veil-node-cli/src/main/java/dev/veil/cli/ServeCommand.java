package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TenantBudget;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.Tls;
import dev.veil.service.ApiKeys;
import dev.veil.service.VeilService;
import dev.veil.trust.AttestationProvider;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The trusted node as an OpenAI-compatible HTTP service ({@code veil-service}): every offered scheme's node is
 * set up once against its weights servers (in this process unless --weights-server names remote ones: the tools'
 * demo, {@link InProcessDemo}, which the node jar lacks), then each request runs as a session of its own. Runs until
 * interrupted.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the trusted node as an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions) and a "
                + "page at /.")
final class ServeCommand implements Callable<Integer> {
    /** The tools' in-process weights servers and attacker view; null in the node jar, which serves remote weights servers only. */
    private final InProcessDemo demo;

    ServeCommand() {
        this(null);
    }

    ServeCommand(InProcessDemo demo) {
        this.demo = demo;
    }

    @picocli.CommandLine.Mixin ModelOptions modelFile;

    @Option(names = "--model-id", description = "the model's id in the API and at the weights server (default: the model's file name)")
    String modelId;

    /** Remote weights servers (default: in this process). */
    @Mixin WeightsServers weightsServers;
    @Mixin TlsOptions tlsOptions;
    @Mixin EvidenceOptions evidence;

    @Option(names = "--schemes", split = ",", paramLabel = "S1,S2",
            description = "further schemes a request may pick in its veil.scheme field (besides --scheme, the default)")
    List<String> allowed = new ArrayList<>();

    @Option(names = "--host",
            description = "address to listen on (default: 127.0.0.1; beyond loopback: --tls-dir, or --api-keys with --insecure-plaintext)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--allowed-host", paramLabel = "NAME[:PORT]", description = {"a further name clients reach the service at, which "
            + "its Host header may then carry (repeatable; PORT default: --port). Without it only the listen address, on loopback "
            + "also localhost, on 0.0.0.0 every interface address, with --tls-dir also the certificate's names (docs/serve.md)"})
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--api-keys", paramLabel = "FILE",
            description = "clients' API keys, one per line, 'TENANT: KEY' or a KEY of its own tenant: requests must carry "
                    + "'Authorization: Bearer KEY'; budgets and --key-sessions are per tenant")
    Path apiKeys;

    @Option(names = "--max-sessions", defaultValue = "4", description = "requests that run at once (default: ${DEFAULT-VALUE})")
    int maxSessions;

    @Option(names = "--queue", defaultValue = "16",
            description = "requests that may wait for a session; beyond them 429 (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--key-sessions",
            description = "requests one tenant may have running or waiting at once (default: --max-sessions plus --queue)")
    Integer keySessions;

    @Option(names = "--privacy-budget", paramLabel = "ε", defaultValue = "48",
            description = "cmif: total ε each tenant's prompts may spend, ever (default: ${DEFAULT-VALUE}: docs/serve.md says why); "
                    + "inf for no limit, which serve then says at every start")
    String privacyBudget;

    @Option(names = "--privacy-ledger", paramLabel = "FILE",
            description = "cmif: where each tenant's spend is kept across restarts, sealed (default: privacy-ledger in $VEIL_STATE, "
                    + "else in ~/.local/state/veil)")
    Path privacyLedger;

    @Option(names = "--max-body", defaultValue = "1048576", description = "largest request body in bytes (default: ${DEFAULT-VALUE})")
    int maxBody;

    @Mixin SchemeOptions schemes;
    @Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (weightsServers.timeout < 1) throw new IllegalArgumentException("--timeout must be at least 1 second");
        if (maxBody < 1024) throw new IllegalArgumentException("--max-body must be at least 1024 bytes");
        double limit = privacyBudget.equals("inf") ? Double.POSITIVE_INFINITY : parseBudget(privacyBudget);
        Map<String, Scheme> offered = offeredSchemes();
        if (!weightsServers.given() && demo == null && offered.values().stream().anyMatch(s -> s.servers() > 0)) {
            throw new IllegalArgumentException("the trusted node jar serves remote weights servers only: give --weights-server HOST:PORT "
                    + "(weights servers in this process are the tools' demo: ./veil serve, or java -jar veil.jar serve)");
        }
        // Opened first, so that a ledger that cannot be used stops serve before the model loads.
        try (TenantBudget budget = budget(offered, limit)) {
            return serve(offered, budget);
        }
    }

    /**
     * The tenants' privacy budget when a cmif scheme is offered, its spends kept in the ledger; null for none (no cmif,
     * or the opt-out --privacy-budget inf). Unsanitized cmif (--epsilon inf) spends ∞: only the opt-out admits it.
     */
    private TenantBudget budget(Map<String, Scheme> offered, double limit) throws java.io.IOException {
        var cmif = offered.values().stream().filter(s -> !Double.isNaN(s.epsilonPerToken())).findFirst().orElse(null);
        if (cmif == null || Double.isInfinite(limit)) return null;
        if (Double.isInfinite(cmif.epsilonPerToken())) {
            throw new IllegalArgumentException("cmif with --epsilon inf sends prompts unsanitized, which spends ε ∞: no --privacy-budget "
                    + "admits them (give --privacy-budget inf to serve them anyway)");
        }
        return cmif.budget(limit, privacyLedger);
    }

    private Integer serve(Map<String, Scheme> offered, TenantBudget budget) throws Exception {
        ApiKeys keys = apiKeys == null ? null : ApiKeys.read(InputFiles.existing(apiKeys, "API keys file"));
        String listen = host != null ? host : "127.0.0.1";
        // Beyond loopback, clients must authenticate: by a deployment certificate (--tls-dir, mutual TLS), or by an API
        // key, which over plaintext also needs --insecure-plaintext.
        if (!tlsOptions.tls() && keys == null && !InetAddress.getByName(listen).isLoopbackAddress()) {
            throw new IllegalArgumentException("--host " + listen + " is not a loopback address: give --tls-dir DIR (clients then need"
                    + " a certificate of the deployment), or --api-keys with --insecure-plaintext");
        }
        SSLContext tls = tlsOptions.context("serve", listen, "proxy");
        AttestationProvider provider = evidence.provider("serve");
        if (provider != null && tls == null) {
            throw new IllegalArgumentException("--attestation binds the evidence to serve's TLS key: give --tls-dir DIR");
        }
        offered.values().forEach(s -> TrustedNodes.warn(s, System.err));
        boolean local = !weightsServers.given();
        if (!local) offered.values().forEach(weightsServers::check);
        ModelParts parts = local || offered.values().stream().anyMatch(s -> s.parts() == ModelParts.ALL) ? ModelParts.ALL : ModelParts.NODE;
        Model m = modelFile.load(parts);
        String id = modelId != null ? modelId : modelFile.model().getFileName().toString();

        Map<String, TrustedNode> nodes = new LinkedHashMap<>();
        try {
            for (var e : offered.entrySet()) {
                Scheme s = e.getValue();
                TrustedNode node = !local ? TrustedNodes.open(s, m, id, weightsServers.open(s, "serve", tlsOptions, evidence,
                        dev.veil.protocol.ModelDims.of(m.config())))
                        : demo != null ? demo.open(s, m, id) : TrustedNodes.open(s, m, id, List.of()); // plain: no weights server
                nodes.put(e.getKey(), node);
                System.err.println("veil serve: " + node.setupReport());
            }
            if (budget != null) {
                int n = budget.clients();
                System.err.printf("veil serve: privacy budget: ε %s per tenant for cmif prompts, in all, kept in %s (%d %s spent some)%n",
                        trim(budget.limit()), budget.ledger(), n, n == 1 ? "tenant has" : "tenants have");
            } else if (offered.values().stream().anyMatch(s -> !Double.isNaN(s.epsilonPerToken()))) {
                System.err.println("veil serve: warning: --privacy-budget inf: no cmif prompt is refused, however many sanitized copies "
                        + "of a tenant's prompts the weights server has seen (repeats let it vote each token back)");
            }
            var config = new VeilService.Config(m, id, nodes, keys, maxSessions, queue,
                    keySessions != null ? keySessions : maxSessions + queue, budget,
                    maxBody, local && demo != null ? demo.views(m, id) : null);
            // Clients that dial a name the deployment certified for this node send it as their Host: serve answers to it.
            List<String> names = new ArrayList<>(allowedHosts);
            if (tls != null) names.addAll(Tls.names(tlsOptions.dir, tlsOptions.password()));
            try (var service = new VeilService(config).attestation(provider).allowHosts(names).start(listen, port, tls)) {
                var stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                System.err.printf("veil serve: ready on %s://%s:%d (model %s; schemes %s, default %s; weights servers %s; %s%s)%n",
                        tls != null ? "https" : "http", listen.contains(":") ? "[" + listen + "]" : listen, service.port(), id,
                        String.join(", ", nodes.keySet()),
                        config.defaultScheme(), local ? "in this process" : weightsServers.describe(),
                        tls != null ? "mutual TLS 1.3: clients need a deployment 'proxy' certificate; " : "",
                        keys != null ? Counts.of(keys.size(), "API key") + " of " + Counts.of(keys.tenants(), "tenant")
                                : tls != null ? "no --api-keys"
                                : "no --api-keys: loopback only, any local client is served");
                if (tlsOptions.warning() != null) System.err.println(tlsOptions.warning());
                stop.await();
            }
        } finally {
            nodes.values().forEach(TrustedNode::close);
        }
        return 0;
    }

    /** --scheme (the default) and --schemes, each with the parameters it takes; a parameter no offered scheme takes is an error. */
    private Map<String, Scheme> offeredSchemes() {
        Set<String> names = new LinkedHashSet<>();
        names.add(schemes.scheme != null ? schemes.scheme : Schemes.DEFAULT);
        names.addAll(allowed);
        Map<String, String> given = schemes.parameters.given();
        Set<String> unread = new LinkedHashSet<>(given.keySet());
        Map<String, Scheme> out = new LinkedHashMap<>();
        for (String name : names) {
            Map<String, String> own = new LinkedHashMap<>(given);
            var params = new SchemeParams(own);
            out.put(name, Schemes.type(name).create(params));
            // what this scheme did not read is left to the others: ask each parameter in turn
            for (String k : given.keySet()) {
                var probe = new SchemeParams(Map.of(k, given.get(k)));
                try {
                    Schemes.type(name).create(probe);
                    probe.checkAllRead(name);
                    unread.remove(k);
                } catch (IllegalArgumentException notForThisScheme) {
                    // another offered scheme may take it
                }
            }
        }
        if (!unread.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", unread.stream().map(k -> "--" + k).toList())
                    + (unread.size() == 1 ? " applies" : " apply") + " to none of the offered schemes " + String.join(", ", names));
        }
        return out;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static double parseBudget(String v) {
        try {
            double d = Double.parseDouble(v);
            if (d > 0) return d;
        } catch (NumberFormatException e) {
            // falls through to the error
        }
        throw new IllegalArgumentException("--privacy-budget must be a positive number or inf, got '" + v + "'");
    }
}
