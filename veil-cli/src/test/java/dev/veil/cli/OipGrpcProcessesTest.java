package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.veil.engine.Eventually;
import dev.veil.engine.Shared;
import dev.veil.grpc.v2.GRPCInferenceServiceGrpc;
import dev.veil.grpc.v2.ModelInferRequest;
import dev.veil.grpc.v2.ServerReadyRequest;
import dev.veil.protocol.transport.Tls;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `veil weights-server --oip-port` as a process: a grpc-java client (the generated stub) is served over plaintext on
 * loopback and over mutual TLS with a node's certificate (another role's is refused at the handshake); the gRPC port and
 * the REST port of one server answer the same products.
 */
@Timeout(300)
class OipGrpcProcessesTest {
    static final Pattern GRPC = Pattern.compile("Open Inference Protocol v2 over gRPC on (\\S+):(\\d+) ");

    static int grpcPort(WeightsServerProcess server) {
        int[] found = {-1};
        Eventually.until("the weights server names its gRPC port", () -> {
            try {
                Matcher m = GRPC.matcher(String.join("\n", server.lines()));
                if (m.find()) found[0] = Integer.parseInt(m.group(2));
                return found[0] > 0;
            } catch (IOException e) {
                return false;
            }
        });
        return found[0];
    }

    static ModelInferRequest qkv(long seed) {
        var data = new byte[64 * 8];
        new java.util.SplittableRandom(seed).nextBytes(data);
        var r = ModelInferRequest.newBuilder().setModelName("blk.0.attn_qkv.z64");
        r.addInputsBuilder().setName("input").setDatatype("INT64").addShape(1).addShape(64);
        return r.addRawInputContents(ByteString.copyFrom(data)).build();
    }

    @Test
    void aGrpcClientIsServedTheRestPortsProductsOnLoopback(@TempDir Path dir) throws Exception {
        var server = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", Shared.storiesBin().toString(),
                "--port", "0", "--oip-http-port", "0", "--oip-port", "0"), dir.resolve("server.log"));
        ManagedChannel channel = null;
        try {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort(server)).usePlaintext().build();
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
            var reply = stub.modelInfer(qkv(1));
            assertEquals(2, reply.getRawOutputContentsCount()); // output and row_scales
            assertArrayEquals(reply.getRawOutputContents(0).toByteArray(), stub.modelInfer(qkv(1)).getRawOutputContents(0).toByteArray());
            assertTrue(String.join("\n", server.lines()).contains("(no attestation: loopback only)"), String.join("\n", server.lines()));
        } finally {
            if (channel != null) channel.shutdownNow();
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    static JdkSslContext client(Path roleDir) throws IOException {
        char[] password = Files.readString(roleDir.resolve(Tls.PASSWORD_FILE), StandardCharsets.UTF_8).strip().toCharArray();
        var alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2");
        return new JdkSslContext(Tls.context(roleDir, password, "weights-server"), true, Arrays.asList(Tls.SUITES),
                IdentityCipherSuiteFilter.INSTANCE, alpn, ClientAuth.NONE, Tls.PROTOCOLS, false);
    }

    @Test
    void overMutualTlsOnlyANodeCertificateIsServed(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        var made = CliRun.of("keys", "--out", keys.toString());
        assertEquals(0, made.code(), made.err());
        var server = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", Shared.storiesBin().toString(),
                "--port", "0", "--oip-port", "0", "--tls-dir", keys.resolve("weights-server").toString(), "--no-attestation"),
                dir.resolve("server.log"));
        ManagedChannel node = null, proxy = null;
        try {
            int port = grpcPort(server);
            assertTrue(String.join("\n", server.lines()).contains("(no attestation: mutual TLS, node certificates only)"));
            node = NettyChannelBuilder.forAddress("localhost", port).sslContext(client(keys.resolve("node"))).build();
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(node).withDeadlineAfter(60, TimeUnit.SECONDS);
            assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
            var reply = stub.modelInfer(qkv(2));
            assertEquals(reply.getOutputs(0).getShape(1) * 8, reply.getRawOutputContents(0).size());
            // the proxy's certificate is not a node's: no call gets through the handshake
            proxy = NettyChannelBuilder.forAddress("localhost", port).sslContext(client(keys.resolve("proxy"))).build();
            var refused = GRPCInferenceServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(60, TimeUnit.SECONDS);
            var e = assertThrows(StatusRuntimeException.class, () -> refused.serverReady(ServerReadyRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
        } finally {
            if (node != null) node.shutdownNow();
            if (proxy != null) proxy.shutdownNow();
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void theGrpcPortCannotCheckAttestation(@TempDir Path dir) throws IOException {
        Path keys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "--out", keys.toString()).code());
        Files.writeString(dir.resolve("policy"), "measurement = "
                + java.util.HexFormat.of().formatHex(dev.veil.trust.CodeMeasurement.ofClassPath()) + "\n");
        var run = CliRun.of("weights-server", "--model", Shared.storiesBin().toString(), "--port", "0", "--oip-port", "0",
                "--tls-dir", keys.resolve("weights-server").toString(), "--attestation-policy", dir.resolve("policy").toString());
        assertTrue(run.code() != 0, run.err());
        assertTrue(run.err().contains("--oip-port cannot check attestation"), run.err());
    }
}
