package dev.veil.trust;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * AMD SEV-SNP evidence from inside the confidential VM, through Linux's configfs-tsm report interface
 * (Documentation/ABI/testing/configfs-tsm): make an entry under {@code /sys/kernel/config/tsm/report}, write
 * the 64-byte REPORT_DATA to {@code inblob}, read the signed report from {@code outblob} and, when the host
 * supplied them, the certificates from {@code auxblob} (AMD's GUID table). Otherwise the VCEK (or VLEK) comes
 * from the operator ({@code vcek}: fetched once from AMD's KDS for this chip and TCB). {@code generation}
 * guards against another writer racing on the entry.
 */
public final class ConfigfsTsmProvider implements AttestationProvider {
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
    /** GUIDs of AMD's certificate table (SEV-SNP GHCB spec, "SNP Extended Guest Request"). */
    static final UUID VCEK = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd"),
            VLEK = UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1"),
            ASK = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final Path root;
    private final List<X509Certificate> operatorChain;

    /**
     * @param root the configfs-tsm report directory ({@link #DEFAULT_ROOT})
     * @param operatorChain the VCEK/VLEK (then optionally its ASK) to send when the host supplies none; may be empty
     */
    public ConfigfsTsmProvider(Path root, List<X509Certificate> operatorChain) {
        if (!Files.isDirectory(root)) {
            throw new AttestationException("no configfs-tsm report interface at " + root
                    + " (not an SEV-SNP guest, or configfs not mounted)");
        }
        this.root = root;
        this.operatorChain = List.copyOf(operatorChain);
    }

    @Override
    public Evidence attest(byte[] reportData) {
        if (reportData.length != 64) throw new IllegalArgumentException("REPORT_DATA is 64 bytes");
        byte[] name = new byte[8];
        RANDOM.nextBytes(name);
        Path entry = root.resolve("veil-" + HexFormat.of().formatHex(name));
        try {
            Files.createDirectory(entry);
            try {
                String provider = read(entry.resolve("provider")).strip();
                if (!provider.equals("sev_guest")) {
                    throw new AttestationException("configfs-tsm provider is '" + provider + "', not sev_guest");
                }
                long before = Long.parseLong(read(entry.resolve("generation")).strip());
                Files.write(entry.resolve("inblob"), reportData);
                byte[] report = Files.readAllBytes(entry.resolve("outblob"));
                byte[] aux = Files.exists(entry.resolve("auxblob")) ? Files.readAllBytes(entry.resolve("auxblob")) : new byte[0];
                long after = Long.parseLong(read(entry.resolve("generation")).strip());
                if (after != before + 1) {
                    throw new AttestationException("configfs-tsm entry " + entry + " was written by someone else meanwhile");
                }
                List<X509Certificate> chain = aux.length > 0 ? certificateTable(aux) : operatorChain;
                if (chain.isEmpty()) throw new AttestationException("the host supplied no VCEK and none was configured (--vcek FILE)");
                return new Evidence(Evidence.Kind.SEV_SNP, report, Pem.encode(chain));
            } finally {
                Files.deleteIfExists(entry);
            }
        } catch (IOException e) {
            throw new AttestationException("configfs-tsm report failed: " + e.getMessage(), e);
        }
    }

    /**
     * The VCEK or VLEK, then the ASK, from AMD's certificate table: entries of a 16-byte GUID, a u32 offset and
     * a u32 length (little-endian, offsets from the table's start), ended by an all-zero entry.
     */
    static List<X509Certificate> certificateTable(byte[] table) {
        var b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        X509Certificate leaf = null, ask = null;
        for (int at = 0; at + 24 <= table.length; at += 24) {
            long lo = b.getLong(at), hi = b.getLong(at + 8);
            int offset = b.getInt(at + 16), length = b.getInt(at + 20);
            if (lo == 0 && hi == 0 && offset == 0 && length == 0) break;
            UUID guid = guid(Arrays.copyOfRange(table, at, at + 16));
            if (offset < 0 || length < 0 || (long) offset + length > table.length) {
                throw new AttestationException("malformed certificate table entry " + guid);
            }
            if (!guid.equals(VCEK) && !guid.equals(VLEK) && !guid.equals(ASK)) continue;
            var certs = Pem.certificates(Arrays.copyOfRange(table, offset, offset + length));
            if (certs.isEmpty()) continue;
            if (guid.equals(ASK)) ask = certs.getFirst();
            else leaf = certs.getFirst();
        }
        var chain = new ArrayList<X509Certificate>();
        if (leaf != null) chain.add(leaf);
        if (leaf != null && ask != null) chain.add(ask);
        return chain;
    }

    /** A GUID as AMD's table stores it: the first three fields little-endian (the Microsoft layout). */
    static UUID guid(byte[] g) {
        var b = ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN);
        long d1 = b.getInt(0) & 0xFFFFFFFFL, d2 = b.getShort(4) & 0xFFFFL, d3 = b.getShort(6) & 0xFFFFL;
        long msb = d1 << 32 | d2 << 16 | d3;
        long lsb = ByteBuffer.wrap(g, 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        return new UUID(msb, lsb);
    }

    private static String read(Path p) throws IOException {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new AttestationException("configfs-tsm entry lacks " + p.getFileName() + " (kernel too old?)");
        }
    }

    @Override
    public String describe() {
        return "AMD SEV-SNP via configfs-tsm (" + root + ")";
    }
}
