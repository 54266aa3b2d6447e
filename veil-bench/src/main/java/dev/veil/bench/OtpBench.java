package dev.veil.bench;

import dev.veil.node.Bytes;
import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.node.remo.RemoNode;
import dev.veil.node.otp.OtpNode;
import dev.veil.node.otp.OtpConfig;
import dev.veil.node.otp.OtpScheme;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code veil bench remo-otp}: how much of the model's work the trusted node still does, per scheme, in
 * one run. Four ways to decode the same greedy tokens, runs interleaved: the whole model on the trusted node
 * (the plain engine, float and exact ring mode), the paper's ReMO, and ReMO with one-time pads. The weights
 * server is a child process on loopback TCP, so this process's threads' CPU time is the trusted node's alone. For
 * remo-otp the node's CPU splits into the background producers' precompute (pads and Freivalds vectors,
 * measured per thread, per token's worth of pads) and the online path (masking, restoring, checking, the
 * weight-free layers). Medians of the timed runs.
 */
public final class OtpBench {
    /** One timed decode, per token: wall ms, this process's CPU ms, the producers' CPU ms within it, the server's CPU ms, wire bytes. */
    private record Sample(double wall, double cpu, double producer, double server, double bytes) {}

    private final Path model, tokenizer;
    private final int genTokens, repetitions, warmup;
    private final RemoScheme remo;
    private final OtpConfig otpConfig;
    private final List<Integer> batchSweep;
    private final String serverMain;
    private final PrintStream out = System.out;

    /** @param serverMain the main class whose {@code weights-server} command runs the server process (the CLI's) */
    public OtpBench(Path model, Path tokenizer, int genTokens, int repetitions, int warmup, RemoScheme remo, OtpScheme otp,
            List<Integer> batchSweep,
                    String serverMain) {
        this.serverMain = serverMain;
        this.model = model;
        this.tokenizer = tokenizer;
        this.genTokens = genTokens;
        this.repetitions = repetitions;
        this.warmup = warmup;
        this.remo = remo;
        this.otpConfig = otp.config();
        this.batchSweep = batchSweep == null ? List.of() : batchSweep;
    }

    public int run() throws Exception {
        if (genTokens < 1 || repetitions < 1 || warmup < 0) throw new IllegalArgumentException("need -n >= 1, -r >= 1, --warmup >= 0");
        Numeric numeric = otpConfig.numeric();
        Model m = ModelLoader.load(model, tokenizer);
        var c = m.config();
        if (genTokens + 1 > c.contextLength()) throw new IllegalArgumentException("test longer than the context of " + c.contextLength());
        String id = model.getFileName().toString();
        System.err.println("veil bench: quantizing the weights for " + numeric + " and starting a weights server process...");
        var exact = new RingLinearOps(c, m.linear(), numeric.ring);
        LinearOps plainFloat = Numeric.FLOAT.plain(c, m.linear());
        var remoConfig = remo.config();
        try (var server = ServerProcess.start(model, id, serverMain);
             var remoNode = RemoNode.connect(m, id, channel(server), remoConfig);
             var otpNode = OtpNode.connect(m, exact, id, channel(server), otpConfig)) {
            System.err.println("veil bench: filling the pad pools...");
            otpNode.awaitTopUp(Duration.ofMinutes(10));
            out.printf(Locale.ROOT, "model            %s: dim %d, hidden %d, %d layers, vocab %d; %s of weight matrices (%s quantized for %s)%n", id, c.dim(),
                    c.hiddenDim(), c.layers(), c.vocabSize(), Bytes.format(m.linear().byteSize()), Bytes.format(otpNode.weightBytes()),
                            numeric);
            out.printf(Locale.ROOT, "run              decode %d tokens greedy from BOS; medians of %d runs after %d warm-up; %d kernel threads per process "
                    + "(load average %s); weights server in a child process over loopback TCP%n", genTokens, repetitions, warmup,
                            Parallel.threads(),
                    Decoding.loadAverage());
            out.printf(Locale.ROOT, "remo-otp         pools of %d rows, batches of %d, %d producer thread%s; Freivalds on %s of calls to 2^-%d, %d retries%n",
                    otpConfig.poolRows(), otpConfig.batchRows(), otpConfig.producers(), otpConfig.producers() == 1 ? "" : "s",
                    otpConfig.checkRate() >= 1 ? "100%" : String.format(Locale.ROOT, "%.0f%%", 100 * otpConfig.checkRate()),
                            otpConfig.checkBits(),
                    otpConfig.maxRetries());

            String[] names = {"plain float", "plain exact", "remo " + remo.describe().replaceFirst(",.*", ""), "remo-otp"};
            List<List<Sample>> samples = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            int[][] tokens = new int[4][];
            long padCpu = 0, producedRows = 0, dryRows = 0;
            for (int i = 0; i < warmup + repetitions; i++) {
                boolean timed = i >= warmup;
                Sample[] s = new Sample[4];
                s[0] = decode(m, plainFloat, null, null, server, tokens, 0);
                s[1] = decode(m, exact, null, null, server, tokens, 1);
                s[2] = decode(m, remoNode.linear(), remoNode.channel(), null, server, tokens, 2);
                otpNode.awaitTopUp(Duration.ofMinutes(10)); // each run starts with topped-up pools; the producers refill while it runs
                var st = otpNode.stats();
                long p0 = st.padCpuNanos(), r0 = st.producedRows(), d0 = st.dryRows();
                s[3] = decode(m, otpNode.linear(), otpNode.channel(), otpNode, server, tokens, 3);
                otpNode.awaitTopUp(Duration.ofMinutes(10)); // refills done: CPU and rows below count whole batches
                if (timed) {
                    padCpu += st.padCpuNanos() - p0;
                    producedRows += st.producedRows() - r0;
                    dryRows += st.dryRows() - d0;
                    for (int k = 0; k < 4; k++) samples.get(k).add(s[k]);
                }
                System.err.printf(Locale.ROOT, "  run %d%s: ms/token %s%n", i + 1, timed ? "" : " (warm-up)",
                        Arrays.stream(s).map(x -> String.format(Locale.ROOT, "%.1f", x.wall)).toList());
            }
            double rotationSet = 0; // CPU ms to redraw every matrix's Freivalds vectors, warm (the second of two redraws)
            for (int i = 0; i < 2; i++) {
                long r0 = otpNode.stats().rotationCpuNanos();
                otpNode.rotateChecks();
                otpNode.awaitTopUp(Duration.ofMinutes(10));
                rotationSet = (otpNode.stats().rotationCpuNanos() - r0) / 1e6;
            }
            // ms per token's worth of pads, plus the vectors redrawn every rotateAfter checks (one check per matrix and token)
            double pads = padCpu / 1e6 / (producedRows / (double) otpNode.matrixCount()), rotations = rotationSet / otpConfig.rotateAfter();
            double precompute = pads + rotations;
            double plainExactCpu = ThreadsCpu.median(samples.get(1), Sample::cpu), plainFloatCpu = ThreadsCpu.median(samples.get(0),
                    Sample::cpu);
            boolean same = Arrays.equals(tokens[1], tokens[2]) && Arrays.equals(tokens[1], tokens[3]);

            out.printf("%n%-20s %12s %12s %12s %10s %10s %12s %12s %12s %14s%n", "scheme", "node CPU", "precompute", "online CPU",
                    "/ exact", "/ float",
                    "latency", "server CPU", "wire", "node memory");
            out.printf("%-20s %12s %12s %12s %10s %10s %12s %12s %12s %14s%n", "", "ms/token", "ms/token", "ms/token", "", "", "ms/token",
                    "ms/token",
                    "per token", "weights+pools");
            long floatBytes = m.linear().byteSize();
            long[] memory = {floatBytes, otpNode.weightBytes(), remoNode.pool().byteSize(),
                    otpNode.weightBytes() + otpNode.poolCapacityBytes() + otpNode.checkBytes()};
            for (int k = 0; k < 4; k++) {
                List<Sample> x = samples.get(k);
                double online = ThreadsCpu.median(x, s -> s.cpu - s.producer), pre = k == 3 ? precompute : 0, total = k == 3 ? online
                        + pre : ThreadsCpu.median(x, Sample::cpu);
                out.printf(Locale.ROOT, "%-20s %12.2f %12s %12.2f %10.3f %10.3f %12.2f %12s %12s %14s%n", names[k], total, k == 3
                        ? String.format(Locale.ROOT, "%.2f", pre) : "-",
                        k == 3 ? online : total, total / plainExactCpu, total / plainFloatCpu, ThreadsCpu.median(x, Sample::wall),
                        k < 2 ? "-" : String.format(Locale.ROOT, "%.2f", ThreadsCpu.median(x, Sample::server)),
                        k < 2 ? "-" : Bytes.format((long) ThreadsCpu.median(x, Sample::bytes)), Bytes.format(memory[k]));
            }
            var st = otpNode.stats();
            out.printf(Locale.ROOT, "%nremo-otp precompute: %.2f ms CPU per token = pads %.2f (%d rows over %d matrices) + Freivalds vectors %.3f "
                    + "(a full set: %.1f ms, redrawn every %d checks); %.3f of the plain exact engine's CPU per token, %.3f of the float engine's%n",
                    precompute, pads, producedRows, otpNode.matrixCount(), rotations, rotationSet, otpConfig.rotateAfter(),
                    precompute / plainExactCpu, precompute / plainFloatCpu);
            int[] rounds = otpNode.checkRounds();
            out.printf(Locale.ROOT, "remo-otp pools:      %s when full (%d rows per matrix), Freivalds vectors %s (%d to %d rounds per matrix); "
                    + "rows made on the spot in timed runs: %d; checks %d, faults %d%n", Bytes.format(otpNode.poolCapacityBytes()),
                            otpConfig.poolRows(),
                    Bytes.format(otpNode.checkBytes()), rounds[0], rounds[1], dryRows, st.checks(), st.faults());
            out.printf(Locale.ROOT, "remo-otp online:     mask %.1f%%, restore %.1f%%, check %.1f%% of its call time (the rest: round trip)%n",
                    share(st.maskNanos(), st), share(st.restoreNanos(), st), share(st.checkNanos(), st));
            out.printf(Locale.ROOT, "same tokens:         plain exact, remo and remo-otp %s%n", same ? "yes" : "NO");
            if (!batchSweep.isEmpty()) batchSweep(m, exact, id, server, otpConfig, plainExactCpu, plainFloatCpu);
            if (Files.isRegularFile(Path.of("/proc/loadavg"))) out.printf("load average now:    %s%n", Decoding.loadAverage());
        }
        return 0;
    }

    /** Pad CPU per token's worth against the batch size: what one pass over W for many rows saves. */
    private void batchSweep(Model m, RingLinearOps exact, String id, ServerProcess server, OtpConfig base, double plainExactCpu,
            double plainFloatCpu)
            throws InterruptedException {
        out.printf("%npad batch   pad CPU ms/token   / plain exact   / plain float%n");
        for (int b : batchSweep) {
            if (b < 1) throw new IllegalArgumentException("--sweep-batch sizes must be at least 1");
            var config = base.withPool(Math.max(b, base.poolRows()), b, 1);
            double[] perToken = new double[repetitions];
            for (int i = 0; i < repetitions; i++) {
                try (var node = OtpNode.connect(m, exact, id, channel(server), config)) {
                    node.awaitTopUp(Duration.ofMinutes(10));
                    perToken[i] = node.stats().padCpuNanos() / 1e6 / (node.stats().producedRows() / (double) node.matrixCount());
                }
            }
            Arrays.sort(perToken);
            double p = perToken[repetitions / 2];
            out.printf(Locale.ROOT, "%-9d %18.2f %15.3f %14.3f%n", b, p, p / plainExactCpu, p / plainFloatCpu);
        }
    }

    private static double share(long part, dev.veil.node.otp.OtpStats s) {
        double total = s.maskNanos() + s.restoreNanos() + s.checkNanos() + s.roundTripNanos();
        return total == 0 ? 0 : 100 * part / total;
    }

    private static Channel channel(ServerProcess server) {
        return TcpChannel.connect("127.0.0.1", server.port, null, Duration.ofSeconds(600));
    }

    /** genTokens greedy decode steps from BOS on a fresh cache, measured. */
    private Sample decode(Model m, LinearOps ops, Channel channel, OtpNode otpNode, ServerProcess server, int[][] tokens, int slot) {
        var f = new Forward(m.config(), m.node(), ops);
        var cache = new KVCache(m.config(), genTokens + 1);
        int[] out = new int[genTokens];
        long b0 = channel == null ? 0 : channel.traffic().bytesSent() + channel.traffic().bytesReceived();
        long s0 = server.cpuNanos(), p0 = otpNode == null ? 0 : otpNode.stats().producerCpuNanos();
        long c0 = ThreadsCpu.nanos(), t0 = System.nanoTime();
        int token = Decoding.startToken(m);
        for (int i = 0; i < genTokens; i++) out[i] = token = Sampler.greedy().sample(f.forward(new int[] {token}, cache, false));
        long t1 = System.nanoTime(), c1 = ThreadsCpu.nanos();
        long p1 = otpNode == null ? 0 : otpNode.stats().producerCpuNanos(), s1 = server.cpuNanos();
        long b1 = channel == null ? 0 : channel.traffic().bytesSent() + channel.traffic().bytesReceived();
        tokens[slot] = out;
        double n = genTokens;
        return new Sample((t1 - t0) / 1e6 / n, (c1 - c0) / 1e6 / n, (p1 - p0) / 1e6 / n, (s1 - s0) / 1e6 / n, (b1 - b0) / n);
    }


}
