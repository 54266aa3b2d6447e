package dev.veil.bench;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.node.Bytes;
import dev.veil.node.otp.OtpConfig;
import dev.veil.node.otp.OtpNode;
import dev.veil.node.otp.OtpScheme;
import dev.veil.node.remo.RemoNode;
import dev.veil.node.remo.RemoScheme;
import dev.veil.node.shares.SharesConfig;
import dev.veil.node.shares.SharesScheme;
import dev.veil.node.shares.SharesNode;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code veil bench shares}: the trusted node's CPU per token under every scheme, in one run, runs
 * interleaved: the whole model on the node (plain float, plain exact), ReMO, remo-otp (its producers' CPU for the
 * pads it used included) and shares with and without check rows. Weights servers are child processes on loopback
 * TCP (two for shares), so this process's threads' CPU is the node's alone. Also latency, the servers' CPU, and
 * bytes on the wire per token against the activation-size minimum (every linear input and output once, in
 * float32). Medians of the timed runs.
 */
public final class SharesBench {
    /** One timed decode, per token: wall ms, this process's CPU ms, the servers' CPU ms, wire bytes. */
    private record Sample(double wall, double cpu, double server, double bytes) {}

    /** One scheme under test: its linear layer, its channels (for bytes), its servers (for CPU), and what to wait for after a run. */
    private record Subject(String name, LinearOps ops, List<Channel> channels, List<ServerProcess> servers, Runnable settle) {}

    private final Path model, tokenizer;
    private final int genTokens, repetitions, warmup, checkBits;
    private final boolean withRemo;
    private final List<Integer> extraCheckBits;
    private final RemoScheme remo;
    private final OtpScheme otp;
    private final String serverMain;
    private final PrintStream out = System.out;

    /** @param serverMain the main class whose {@code weights-server} command the server processes run */
    public SharesBench(Path model, Path tokenizer, int genTokens, int repetitions, int warmup, RemoScheme remo, OtpScheme otp,
            SharesScheme shares, boolean withRemo, List<Integer> extraCheckBits, String serverMain) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.genTokens = genTokens;
        this.repetitions = repetitions;
        this.warmup = warmup;
        this.remo = remo;
        this.otp = otp;
        this.checkBits = shares.config().checkBits();
        this.serverMain = serverMain;
        this.withRemo = withRemo;
        this.extraCheckBits = List.copyOf(extraCheckBits);
    }

    public int run() throws Exception {
        if (genTokens < 1 || repetitions < 1 || warmup < 0) throw new IllegalArgumentException("need -n >= 1, -r >= 1, --warmup >= 0");
        Numeric numeric = otp.config().numeric();
        Model m = ModelLoader.load(model, tokenizer);
        var c = m.config();
        if (genTokens + 1 > c.contextLength()) throw new IllegalArgumentException("test longer than the context of " + c.contextLength());
        String id = model.getFileName().toString();
        System.err.println("veil bench: quantizing the weights for " + numeric + " and starting two weights server processes...");
        var exact = new RingLinearOps(c, m.linear(), numeric.ring);
        OtpConfig otpConfig = otp.config();
        try (var a = ServerProcess.start(model, id, serverMain);
             var b = ServerProcess.start(model, id, serverMain);
             var remoNode = withRemo ? RemoNode.connect(m, id, channel(a), remo.config()) : null;
             var otpNode = withRemo ? OtpNode.connect(m, exact, id, channel(a), otpConfig) : null;
             var checked = SharesNode.connect(m, id, channel(a), channel(b), new SharesConfig(numeric, checkBits,
                     SharesConfig.DEFAULT_RETRIES));
             var checkedRows = SharesNode.connect(m, id, channel(a), channel(b), new SharesConfig(numeric, checkBits,
                     SharesConfig.DEFAULT_RETRIES, false));
             var unchecked = SharesNode.connect(m, id, channel(a), channel(b), new SharesConfig(numeric, 0, 0));
             var uncheckedRows = SharesNode.connect(m, id, channel(a), channel(b), new SharesConfig(numeric, 0, 0, false))) {
            List<SharesNode> shares = new ArrayList<>(List.of(checked, checkedRows, unchecked, uncheckedRows));
            for (int bits : extraCheckBits) { // other miss probabilities, B's share as a seed
                shares.add(SharesNode.connect(m, id, channel(a), channel(b), new SharesConfig(numeric, bits,
                        SharesConfig.DEFAULT_RETRIES)));
            }
            if (otpNode != null) otpNode.awaitTopUp(Duration.ofMinutes(10));
            Runnable topUp = () -> {
                try {
                    otpNode.awaitTopUp(Duration.ofMinutes(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            int[] rows = checked.checkRows();
            List<Subject> subjects = new ArrayList<>(List.of(
                    new Subject("plain float", Numeric.FLOAT.plain(c, m.linear()), List.of(), List.of(), () -> {}),
                    new Subject("plain " + numeric, exact, List.of(), List.of(), () -> {})));
            if (withRemo) {
                subjects.add(new Subject("remo " + remo.describe().replaceFirst(",.*", ""), remoNode.linear(), List.of(remoNode.channel()),
                        List.of(a), () -> {}));
                subjects.add(new Subject("remo-otp", otpNode.linear(), List.of(otpNode.channel()), List.of(a), topUp));
            }
            // B's share as a seed (protocol version 2) and, as before it, as rows: the same shares, the same run
            for (var node : shares) {
                int[] l = node.checkRows();
                String name = "shares, " + (node.config().checkBits() == 0 ? "no check" : "2^-" + node.config().checkBits()
                        + " (" + l[0] + "-" + l[1] + " rows)")
                        + (node.config().seedB() ? ", B seed" : ", B rows");
                subjects.add(new Subject(name, node.linear(), List.of(node.channel(0), node.channel(1)), List.of(a, b), () -> {}));
            }
            out.printf(Locale.ROOT, "model            %s: dim %d, hidden %d, %d layers, vocab %d; %s of weight matrices%n", id, c.dim(),
                    c.hiddenDim(),
                    c.layers(), c.vocabSize(), Bytes.format(m.linear().byteSize()));
            out.printf(Locale.ROOT,
                    "run              decode %d tokens greedy from BOS; medians of %d runs after %d warm-up; %d kernel threads per process "
                    + "(load average %s); weights servers in child processes over loopback TCP%n", genTokens, repetitions, warmup,
                            Parallel.threads(),
                    Decoding.loadAverage());
            out.printf(Locale.ROOT,
                    "shares           %s; %d to %d check rows a call for 2^-%d; remo-otp pools of %d rows, batches of %d, %d producer%n",
                    numeric, rows[0], rows[1], checkBits, otpConfig.poolRows(), otpConfig.batchRows(), otpConfig.producers());
            List<List<Sample>> samples = new ArrayList<>();
            subjects.forEach(s -> samples.add(new ArrayList<>()));
            int[][] tokens = new int[subjects.size()][];
            for (int i = 0; i < warmup + repetitions; i++) {
                double[] wall = new double[subjects.size()];
                for (int k = 0; k < subjects.size(); k++) {
                    var s = decode(m, subjects.get(k), tokens, k);
                    wall[k] = s.wall();
                    if (i >= warmup) samples.get(k).add(s);
                }
                System.err.printf(Locale.ROOT, "  run %d%s: ms/token %s%n", i + 1, i >= warmup ? "" : " (warm-up)",
                        Arrays.stream(wall).mapToObj(w -> String.format(Locale.ROOT, "%.1f", w)).toList());
            }
            double floatCpu = ThreadsCpu.median(samples.get(0), Sample::cpu), exactCpu = ThreadsCpu.median(samples.get(1), Sample::cpu);
            double minimum = activationBytes(c);
            out.printf("%n%-34s %10s %9s %9s %10s %11s %11s %9s%n", "scheme", "node CPU", "/ float", "/ exact", "latency", "server CPU",
                    "wire", "/ minimum");
            out.printf("%-34s %10s %9s %9s %10s %11s %11s %9s%n", "", "ms/token", "", "", "ms/token", "ms/token", "per token", "");
            for (int k = 0; k < subjects.size(); k++) {
                var x = samples.get(k);
                double cpu = ThreadsCpu.median(x, Sample::cpu), bytes = ThreadsCpu.median(x, Sample::bytes);
                boolean split = !subjects.get(k).servers().isEmpty();
                out.printf(Locale.ROOT, "%-34s %10.2f %9.3f %9.3f %10.2f %11s %11s %9s%n", subjects.get(k).name(), cpu, cpu / floatCpu,
                        cpu / exactCpu,
                        ThreadsCpu.median(x, Sample::wall), split ? String.format(Locale.ROOT, "%.2f", ThreadsCpu.median(x,
                                Sample::server)) : "-",
                        split ? Bytes.format((long) bytes) : "-", split ? String.format(Locale.ROOT, "%.2f", bytes / minimum) : "-");
            }
            boolean same = true;
            for (int k = 2; k < tokens.length; k++) same &= Arrays.equals(tokens[1], tokens[k]);
            out.printf(Locale.ROOT, "%nactivation-size minimum: %s per token (every linear input and output once, float32)%n",
                    Bytes.format((long) minimum));
            out.printf(Locale.ROOT, "same tokens: plain %s, %sshares %s; shares faults %d%n", numeric, withRemo ? "remo, remo-otp and "
                    : "",
                    same ? "yes" : "NO",
                    shares.stream().mapToLong(n -> n.stats().faults()).sum());
            out.printf("load average now: %s%n", Decoding.loadAverage());
            shares.subList(4, shares.size()).forEach(SharesNode::close);
        }
        return 0;
    }

    /** Bytes of every linear input and output of one token, as float32. */
    static double activationBytes(LlamaConfig c) {
        double sum = 0;
        for (Projection p : Projection.values()) sum += (double) (p.perLayer() ? c.layers() : 1) * (p.inDim(c) + p.outDim(c)) * Float.BYTES;
        return sum;
    }

    private static Channel channel(ServerProcess server) {
        return TcpChannel.connect("127.0.0.1", server.port, null, Duration.ofSeconds(600));
    }

    /** genTokens greedy decode steps from BOS on a fresh cache, measured (with the scheme's settling, e.g. pad refills, in its CPU). */
    private Sample decode(Model m, Subject s, int[][] tokens, int slot) {
        var f = new Forward(m.config(), m.node(), s.ops());
        var cache = new KVCache(m.config(), genTokens + 1);
        int[] out = new int[genTokens];
        long b0 = bytes(s.channels()), s0 = cpu(s.servers()), c0 = ThreadsCpu.nanos(), t0 = System.nanoTime();
        int token = m.tokenizer() != null && m.tokenizer().bos() >= 0 ? m.tokenizer().bos() : 1;
        for (int i = 0; i < genTokens; i++) out[i] = token = Sampler.greedy().sample(f.forward(new int[] {token}, cache, false));
        long t1 = System.nanoTime();
        s.settle().run();
        long c1 = ThreadsCpu.nanos(), s1 = cpu(s.servers()), b1 = bytes(s.channels());
        tokens[slot] = out;
        double n = genTokens;
        return new Sample((t1 - t0) / 1e6 / n, (c1 - c0) / 1e6 / n, (s1 - s0) / 1e6 / n, (b1 - b0) / n);
    }

    private static long bytes(List<Channel> channels) {
        return channels.stream().mapToLong(ch -> ch.traffic().bytesSent() + ch.traffic().bytesReceived()).sum();
    }

    private static long cpu(List<ServerProcess> servers) {
        return servers.stream().mapToLong(ServerProcess::cpuNanos).sum();
    }


}
