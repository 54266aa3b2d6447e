package dev.veil.protocol.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One HTTP/1.1 request written byte for byte over a loopback socket, with the headers a browser or an attacker sends
 * (Host, Origin), which java.net.http will not, and its answer: for the HTTP endpoints' tests (serve, proxy).
 *
 * @param headers the answer's header lines, "name: value" each
 */
public record RawHttp(int status, List<String> headers, String body) {
    /** Sends {@code method path} with {@code headers} (name, value, ...) and {@code body} (null for none) to 127.0.0.1. */
    public static RawHttp send(int port, String method, String path, String body, String... headers) throws IOException {
        try (var s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(120_000);
            var head = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            for (int i = 0; i < headers.length; i += 2) head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) head.append("Content-Length: ").append(bytes.length).append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.UTF_8));
            out.write(bytes);
            out.flush();
            return read(s.getInputStream());
        }
    }

    /** The value of the answer's header {@code name} (any case), or null. */
    public String header(String name) {
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        for (String h : headers) if (h.toLowerCase(Locale.ROOT).startsWith(prefix)) return h.substring(prefix.length()).strip();
        return null;
    }

    private static RawHttp read(InputStream in) throws IOException {
        String status = line(in);
        List<String> headers = new ArrayList<>();
        for (String h; !(h = line(in)).isEmpty(); ) headers.add(h);
        var r = new RawHttp(Integer.parseInt(status.split(" ")[1]), headers, "");
        byte[] body;
        if (r.header("Content-Length") != null) {
            body = in.readNBytes(Integer.parseInt(r.header("Content-Length")));
        } else if ("chunked".equalsIgnoreCase(r.header("Transfer-Encoding"))) {
            var all = new ByteArrayOutputStream();
            for (int n; (n = Integer.parseInt(line(in).split(";")[0].strip(), 16)) > 0; line(in)) all.write(in.readNBytes(n));
            body = all.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new RawHttp(r.status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        var b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("the connection ended mid-line: " + b);
            if (c != '\r') b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
