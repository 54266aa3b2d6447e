package dev.veil.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.ServerViews;
import dev.veil.node.Session;
import dev.veil.node.SessionReport;
import dev.veil.node.TenantBudget;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.OriginPolicy;
import dev.veil.protocol.transport.Tls;
import dev.veil.trust.AttestationProvider;
import dev.veil.trust.EvidenceJson;
import dev.veil.trust.ReportData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * The trusted node as an OpenAI-compatible HTTP service: {@code GET /v1/models}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions} (blocking and server-sent events) and the page at {@code /}. Every request
 * is a session of its own on the trusted node of the scheme it asked for (one the operator offers); its answer
 * carries a {@code veil} object saying what the weights server was sent. The HTTP server is the JDK's own, one
 * virtual thread per exchange (docs/serve.md says why). With a TLS context it serves HTTPS only (mutual TLS 1.3),
 * and with an attestation provider {@code GET /v1/attestation?nonce=HEX} answers evidence bound to that nonce and
 * to the TLS key of the very connection that asks (docs/trust.md). It answers only its own origin ({@link OriginPolicy}):
 * web pages the user opens must not drive it. Requests are bounded per tenant (its API keys' owner, {@link ApiKeys}):
 * its requests at once, and CMIF's privacy budget, charged exactly once a prompt is sanitized, before anything is sent.
 */
public final class VeilService implements AutoCloseable {
    private static final SecureRandom SEEDS = new SecureRandom();

    private final Config config;
    private final Admission admission;
    private final TenantBudget budget; // cmif: each tenant's ε; null without a limit
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong started = new AtomicLong(), cancelled = new AtomicLong(), tokens = new AtomicLong();
    private HttpServer server;
    private ExecutorService executor;
    private AttestationProvider attestation;
    private List<String> allowedHosts = List.of();
    private OriginPolicy origins;

    /**
     * What the operator configured.
     *
     * @param nodes          every offered scheme's trusted node by name; the first is the default
     * @param keys           the tenants' keys, or null to accept any request (then the service must listen on loopback)
     * @param maxSessions    sessions that run at once
     * @param queue          requests that may wait for a session; more get 429
     * @param keySessions    requests one tenant may have running or waiting at once
     * @param budget         CMIF: ε each tenant may spend in all (its owner opens and closes it), or null for no limit
     * @param maxBodyBytes   the largest request body accepted
     * @param views          the page's server views (the tools' in-process demo: the attack lab's), or null: the node has none
     */
    public record Config(Model model, String modelId, Map<String, TrustedNode> nodes, ApiKeys keys, int maxSessions, int queue,
                         int keySessions, TenantBudget budget, int maxBodyBytes, ServerViews views) {
        public Config {
            if (nodes.isEmpty()) throw new IllegalArgumentException("a service offers at least one scheme");
            nodes = new LinkedHashMap<>(nodes);
        }

        public String defaultScheme() {
            return nodes.keySet().iterator().next();
        }
    }

    public VeilService(Config config) {
        this.config = config;
        this.admission = new Admission(config.maxSessions(), config.queue(), config.keySessions());
        this.budget = config.budget();
    }

    /** Answers {@code GET /v1/attestation} with evidence from {@code provider} (only over TLS: it binds the TLS key). */
    public VeilService attestation(AttestationProvider provider) {
        this.attestation = provider;
        return this;
    }

    /** Also answers to these {@code NAME[:PORT]}s ({@code --allowed-host}; {@link OriginPolicy}); before {@link #start}. */
    public VeilService allowHosts(Collection<String> names) {
        this.allowedHosts = List.copyOf(names);
        return this;
    }

    /** Listens on {@code host:port} (port 0: any free port), plain HTTP. */
    public VeilService start(String host, int port) throws IOException {
        return start(host, port, null);
    }

    /**
     * Listens on {@code host:port}; with {@code tls} (from {@link Tls#context}, peer role {@code proxy}) HTTPS only:
     * TLS 1.3, its AEAD suites, and a client certificate of the deployment required.
     */
    public VeilService start(String host, int port, SSLContext tls) throws IOException {
        // The JDK server's own bounds against slow or silent clients: a request's headers must arrive within 30 s.
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "30"));
        System.setProperty("sun.net.httpserver.maxReqHeaders", System.getProperty("sun.net.httpserver.maxReqHeaders", "100"));
        executor = Executors.newVirtualThreadPerTaskExecutor();
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } else {
            var https = HttpsServer.create(new InetSocketAddress(host, port), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters p) {
                    p.setSSLParameters(Tls.serverParameters(tls.getDefaultSSLParameters()));
                }
            });
            server = https;
        }
        origins = OriginPolicy.of(tls == null ? "http" : "https", server.getAddress(), host, allowedHosts);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public Config config() {
        return config;
    }

    /** Sessions started, sessions cancelled by a client that went away, tokens generated: for logs and tests. */
    public long[] counters() {
        return new long[] {started.get(), cancelled.get(), tokens.get()};
    }

    /** Sessions running now. */
    public int running() {
        return admission.running(config.maxSessions());
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
        if (executor != null) executor.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                error(ex, e);
            } catch (Cancelled e) {
                // the client went away; nothing to answer
            } catch (RuntimeException | IOException e) {
                if (Boolean.getBoolean("veil.debug")) e.printStackTrace();
                System.err.println("veil serve: " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " failed: " + e);
                error(ex, ApiError.server());
            }
        } catch (IOException | RuntimeException gone) {
            // the client went away while we answered
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        var refusal = origins.check(method, ex.getRequestHeaders()::get); // before anything else, the API key included
        if (refusal != null) throw ApiError.refused(refusal);
        if (path.equals("/v1/completions") || path.equals("/v1/chat/completions")) {
            requireMethod(method, "POST");
            completion(ex, path.equals("/v1/chat/completions"));
        } else if (path.equals("/v1/models") || path.startsWith("/v1/models/")) {
            requireMethod(method, "GET");
            tenant(ex);
            models(ex, path.length() > "/v1/models/".length() ? path.substring("/v1/models/".length()) : null);
        } else if (path.equals("/v1/attestation")) {
            requireMethod(method, "GET");
            tenant(ex);
            attest(ex);
        } else if (!path.startsWith("/v1/")) {
            requireMethod(method, "GET");
            Page.serve(ex, path);
        } else {
            throw ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + path);
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) throw new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                "Use " + expected + ".", 0);
    }

    private String tenant(HttpExchange ex) {
        return tenant(ex.getRequestHeaders());
    }

    /** The tenant whose key its Authorization header carries ("local" when the service has no keys); 401 otherwise. */
    private String tenant(Headers headers) {
        return config.keys() == null ? "local" : config.keys().client(headers.getFirst("Authorization"));
    }

    private void models(HttpExchange ex, String id) throws IOException {
        if (id != null && !id.equals(config.modelId())) throw ApiError.notFound("model_not_found",
                "The model '" + id + "' does not exist.");
        List<Object> schemes = new ArrayList<>();
        config.nodes().forEach((name, node) -> schemes.add(Json.object("name", name, "parameters", node.scheme().describe(),
                "warning", node.scheme().warning())));
        var veil = Json.object("default_scheme", config.defaultScheme(), "schemes", schemes,
                "context_length", config.model().config().contextLength(), "views", config.views() != null);
        var model = Json.object("id", config.modelId(), "object", "model", "created", created, "owned_by", "veil", "veil", veil);
        json(ex, 200, id != null ? model : Json.object("object", "list", "data", List.of(model)));
    }

    /**
     * The node's evidence for the verifier's nonce, bound to the TLS key this connection was authenticated with
     * (REPORT_DATA = SHA-256(key) ‖ nonce, {@link ReportData#bind}): a relay that forwards the request to this node
     * gets evidence for this node's key, which does not match its own.
     */
    private void attest(HttpExchange ex) throws IOException {
        if (!(ex instanceof HttpsExchange https)) {
            throw ApiError.notFound("attestation_unavailable",
                    "This service has no TLS key to bind evidence to (start it with --tls-dir).");
        }
        if (attestation == null) {
            throw ApiError.notFound("attestation_unavailable", "This service presents no evidence (start it with --attestation).");
        }
        String query = ex.getRequestURI().getRawQuery();
        String hex = query != null && query.startsWith("nonce=") ? query.substring("nonce=".length()) : null;
        if (hex == null || !hex.matches("[0-9a-fA-F]{" + 2 * ReportData.NONCE_BYTES + "}")) {
            throw ApiError.badRequest("nonce", "Give ?nonce= with exactly " + ReportData.NONCE_BYTES + " bytes of fresh random hex.");
        }
        byte[] nonce = HexFormat.of().parseHex(hex);
        var local = https.getSSLSession().getLocalCertificates();
        var evidence = attestation.attest(ReportData.bind(local[0].getPublicKey(), nonce));
        json(ex, 200, EvidenceJson.write(evidence, nonce));
    }

    private void completion(HttpExchange ex, boolean chat) throws IOException {
        Checked c = check(ex.getRequestHeaders(), ex.getRequestBody(), chat);
        try (var slot = admission.enter(c.tenant())) {
            respond(ex, chat, c.request(), c.node(), c.prompt(), c.maxTokens(), c.sampler(), c.tenant());
        } catch (TenantBudget.ExceededException e) { // before anything was sent, to the weights server or the client
            throw new ApiError(429, "insufficient_quota", "privacy_budget_exhausted", null, e.getMessage(), 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.server();
        }
    }

    /** A completion request as read and checked, before it runs: whose it is and what it asks. */
    record Checked(String tenant, CompletionRequest request, TrustedNode node, Prompt prompt, int maxTokens, Sampler sampler) {}

    /**
     * Reads and checks a completion request from what the client sent (its headers and body): everything that can
     * be refused is refused here, as an {@link ApiError} with a 4xx status (the API fuzz test holds it to that).
     */
    Checked check(Headers headers, InputStream in, boolean chat) throws IOException {
        String tenant = tenant(headers);
        String text;
        try { // JSON between systems is UTF-8 (RFC 8259); left to guess, Jackson would read a body as UTF-16 or UTF-32 too
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(body(headers.getFirst("Content-Length"),
                    in))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiError.badRequest(null, "The request body must be JSON in UTF-8.");
        }
        Object body;
        try {
            body = Json.parse(text);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage(), dup = "Duplicate field '"; // Jackson's words for STRICT_DUPLICATE_DETECTION
            if (m.startsWith(dup) && m.endsWith("'")) {
                String field = m.substring(dup.length(), m.length() - 1);
                throw ApiError.badRequest(field, "The request body names the field '" + field + "' twice.");
            }
            throw ApiError.badRequest(null,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                    + "HTTP library correctly. The OpenAI API expects a JSON payload.)");
        }
        var req = CompletionRequest.parse(body, chat);
        if (!req.model().equals(config.modelId())) {
            throw ApiError.notFound("model_not_found",
                    "The model '" + req.model() + "' does not exist (this service runs '" + config.modelId() + "').");
        }
        String schemeName = req.scheme() != null ? req.scheme() : config.defaultScheme();
        TrustedNode node = config.nodes().get(schemeName);
        if (node == null) {
            throw ApiError.badRequest("veil.scheme", "This service offers the schemes " + String.join(", ", config.nodes().keySet())
                    + "; not '" + schemeName + "'.");
        }
        if (req.view() && config.views() == null) {
            throw ApiError.badRequest("veil.view", "This service's weights servers run elsewhere: it cannot show what they received "
                    + "(the attacker's view is the tools' in-process demo, not part of the trusted node).");
        }
        Model model = config.model();
        Prompt prompt = chat ? Prompt.chat(model, req.messages()) : Prompt.raw(model.tokenizer(), req.prompt());
        int context = model.config().contextLength();
        if (prompt.tokens().length >= context) {
            throw ApiError.contextExceeded(chat ? "messages" : "prompt",
                    "This model's maximum context length is " + context + " tokens. However, your "
                    + (chat ? "messages resulted in " : "prompt resulted in ") + prompt.tokens().length
                            + " tokens, which leaves no room for an answer.");
        }
        int room = context - prompt.tokens().length;
        int maxTokens = req.maxTokens() < 0 ? (chat ? room : 16) : Math.min(req.maxTokens(), room);
        var sampler = new Sampler(req.temperature(), 0, req.topP(), 0, req.seed() != null ? req.seed() : SEEDS.nextLong());
        return new Checked(tenant, req, node, prompt, maxTokens, sampler);
    }

    /**
     * A session of {@code node} for {@code tenant}, charged to the tenants' budget: CMIF's node is told the tenant, and charges
     * its budget the request's exact ε once the prompt is sanitized, before anything is sent (so what an answer says is
     * left is what the next request may spend).
     */
    private Session session(TrustedNode node, String tenant) {
        return node.session(tenant, budget);
    }

    /**
     * Runs the session and answers. A view (the page's recording node) stays open until the answer that describes it
     * is written, blocking or streamed.
     */
    private void respond(HttpExchange ex, boolean chat, CompletionRequest req, TrustedNode node, Prompt prompt, int maxTokens,
                         Sampler sampler, String tenant) throws IOException {
        started.incrementAndGet();
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long createdAt = System.currentTimeMillis() / 1000;
        var view = req.view() ? config.views().open(node.scheme()) : null;
        try (view; var session = session(view != null ? view.node() : node, tenant)) {
            if (req.stream()) {
                stream(ex, chat, req, session, prompt, maxTokens, sampler, tenant, view, id, createdAt);
                return;
            }
            var result = Generation.run(config.model(), session, prompt, maxTokens, sampler, req.stop(), delta -> {});
            tokens.addAndGet(result.completionTokens());
            var choice = Json.object("index", 0);
            if (chat) choice.put("message", Json.object("role", "assistant", "content", result.text(), "refusal", null));
            else choice.put("text", result.text());
            choice.put("logprobs", null);
            choice.put("finish_reason", result.finishReason());
            json(ex, 200, Json.object("id", id, "object", chat ? "chat.completion" : "text_completion", "created", createdAt,
                    "model", config.modelId(), "choices", List.of(choice), "usage", usage(result),
                    "veil", veil(result.report(), tenant, view, prompt, result)));
        } catch (Cancelled e) {
            cancelled.incrementAndGet();
            throw e;
        }
    }

    /**
     * Streams the answer as server-sent events, as OpenAI does: with {@code stream_options.include_usage} every chunk
     * carries {@code "usage": null} and a last chunk with no choices carries the usage. The last chunk carries the
     * {@code veil} object. The stream opens (its headers, a chat's role chunk) with the first token, so a request refused
     * before it runs (CMIF's privacy budget, charged once the prompt is sanitized) is still an error status.
     */
    private void stream(HttpExchange ex, boolean chat, CompletionRequest req, Session session, Prompt prompt,
                        int maxTokens, Sampler sampler, String tenant, ServerViews.View view, String id, long createdAt) {
        boolean usage = req.includeUsage();
        var sse = new EventStream(ex, chat ? chunk(id, createdAt, true, Json.object("role", "assistant", "content", ""), null, usage)
                : null);
        Generation.Result result;
        try {
            result = Generation.run(config.model(), session, prompt, maxTokens, sampler, req.stop(), delta -> sse.send(chat
                    ? chunk(id, createdAt, true, Json.object("content", delta), null, usage)
                    : chunk(id, createdAt, false, delta, null, usage)));
        } catch (RuntimeException e) {
            if (e instanceof Cancelled || !sse.opened()) throw e; // nothing sent yet: answered as any refusal or fault
            // Headers are sent: the fault goes in the stream, as OpenAI's does, without its details.
            System.err.println("veil serve: a streamed generation failed: " + e);
            var err = ApiError.server();
            sse.send(Json.object("error", Json.object("message", err.getMessage(), "type", err.type, "param", null, "code", null)));
            return;
        }
        tokens.addAndGet(result.completionTokens());
        var last = chunk(id, createdAt, chat, chat ? Json.object() : "", result.finishReason(), usage);
        if (usage) {
            sse.send(last);
            last = Json.object("id", id, "object", chat ? "chat.completion.chunk" : "text_completion", "created", createdAt,
                    "model", config.modelId(), "choices", List.of(), "usage", usage(result));
        }
        last.put("veil", veil(result.report(), tenant, view, prompt, result));
        sse.send(last);
        sse.done();
    }

    /** One chunk of a stream with one choice; {@code "usage": null} when the client asked for usage at the end. */
    private Map<String, Object> chunk(String id, long createdAt, boolean chat, Object content, String finish, boolean usageLater) {
        var choice = Json.object("index", 0, chat ? "delta" : "text", content, "logprobs", null, "finish_reason", finish);
        var c = Json.object("id", id, "object", chat ? "chat.completion.chunk" : "text_completion", "created", createdAt,
                "model", config.modelId(), "choices", List.of(choice));
        if (usageLater) c.put("usage", null);
        return c;
    }

    private static Map<String, Object> usage(Generation.Result r) {
        return Json.object("prompt_tokens", r.promptTokens(), "completion_tokens", r.completionTokens(),
                "total_tokens", r.promptTokens() + r.completionTokens());
    }

    /**
     * The request's privacy report: for CMIF first the share of the prompt the weights server received verbatim, then ε
     * and what it covers, the spend and the tenant's budget left; then the scheme, what the weights server was sent and saw.
     */
    private Map<String, Object> veil(SessionReport r, String tenant, ServerViews.View view, Prompt prompt, Generation.Result result) {
        var v = Json.object();
        if (r.verbatim() != null) {
            v.put("verbatim", r.verbatim());
            v.put("verbatim_share", r.verbatimShare());
        }
        if (!Double.isNaN(r.epsilon())) {
            v.put("epsilon", r.epsilon());
            v.put("covers", "the prompt's own tokens (ε-DP per sanitized token, composed over the prompt); not the system prompt, "
                    + "the template, nor the answer, which the weights server sees unsanitized");
            v.put("privacy", r.privacy());
            if (budget != null) v.put("epsilon_budget_left", budget.remaining(tenant)); // what the next request may spend
        }
        v.put("scheme", r.scheme());
        v.put("parameters", r.parameters());
        v.put("weights_server_calls", r.calls());
        v.put("bytes_sent", r.bytesSent());
        v.put("bytes_received", r.bytesReceived());
        TrustedNode node = config.nodes().get(r.scheme());
        if (node != null) v.put("weights_servers", node.scheme().servers()); // 0: the node runs the whole model in the clear
        if (node != null && node.scheme().warning() != null) v.put("warning", node.scheme().warning());
        if (r.serverPrompt() != null) v.put("server_prompt", config.model().tokenizer().decode(r.serverPrompt()));
        if (view != null) v.put("server_view", view.describe(prompt.tokens(), result.tokens()));
        return v;
    }

    private byte[] body(String length, InputStream in) throws IOException {
        int limit = config.maxBodyBytes();
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > limit) throw ApiError.tooLarge(limit);
            } catch (NumberFormatException e) {
                throw ApiError.badRequest(null, "Bad Content-Length.");
            }
        }
        byte[] body = in.readNBytes(limit + 1);
        if (body.length > limit) throw ApiError.tooLarge(limit);
        return body;
    }

    static void json(HttpExchange ex, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.bytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void error(HttpExchange ex, ApiError e) throws IOException {
        if (ex.getResponseCode() != -1) return; // headers already sent (a stream): the client sees the stream end
        var err = Json.object("error", Json.object("message", e.getMessage(), "type", e.type, "param", e.param, "code", e.code));
        if (e.retryAfter > 0) ex.getResponseHeaders().set("Retry-After", String.valueOf(e.retryAfter));
        if (e.status == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        json(ex, e.status, err);
    }

    /** The client went away mid-stream: the generation ends at once. */
    static final class Cancelled extends RuntimeException {
        Cancelled(IOException cause) {
            super("client disconnected", cause, false, false);
        }
    }

    /** Server-sent events: one {@code data:} line per chunk, flushed at once; the headers and a first chunk go with the first. */
    private static final class EventStream {
        private final HttpExchange ex;
        private Map<String, Object> first; // sent before the first chunk; null once the stream is open
        private OutputStream out;

        EventStream(HttpExchange ex, Map<String, Object> first) {
            this.ex = ex;
            this.first = first;
        }

        boolean opened() {
            return out != null;
        }

        void send(Map<String, Object> chunk) {
            write("data: " + Json.string(chunk) + "\n\n");
        }

        void done() {
            write("data: [DONE]\n\n");
        }

        private void write(String s) {
            try {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                    ex.getResponseHeaders().set("Cache-Control", "no-cache");
                    ex.sendResponseHeaders(200, 0);
                    out = ex.getResponseBody();
                    if (first != null) out.write(("data: " + Json.string(first) + "\n\n").getBytes(StandardCharsets.UTF_8));
                    first = null;
                }
                out.write(s.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new Cancelled(e);
            }
        }
    }

    static String[] split(String csv) {
        return Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }
}
