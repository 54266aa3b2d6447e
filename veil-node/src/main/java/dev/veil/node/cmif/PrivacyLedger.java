package dev.veil.node.cmif;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link PrivacyBudget}'s spends on the node's disk, so that a restart does not give every client its budget again.
 * The file is rewritten whole at every charge, before the request's prompt is sent: a temporary file, forced to disk,
 * then moved over the old one atomically, so a crash leaves the old ledger or the new one, never half of either. It is
 * sealed as the sanitizers' caches are ({@link CacheSeal}: an HMAC under {@code seal.key} in the ledger's directory):
 * a ledger altered or damaged fails to open, and the node refuses to start rather than guess the spends. A lock file
 * beside it keeps a second process off it (two nodes sharing one ledger would each overwrite the other's charges).
 *
 * <p>What a seal cannot stop: whoever can write that directory can put back an older sealed ledger (a rollback) or
 * delete it with its key; only storage the host cannot roll back (a TEE's monotonic counter) would stop that.
 */
final class PrivacyLedger implements AutoCloseable {
    private static final String CONTEXT = "veil privacy ledger", HEADER = "veil-privacy-ledger 1";

    private final Path file;
    private final CacheSeal seal;
    private final FileChannel lockFile;
    private final Map<String, Long> opened;

    private PrivacyLedger(Path file, CacheSeal seal, FileChannel lockFile, Map<String, Long> opened) {
        this.file = file;
        this.seal = seal;
        this.lockFile = lockFile;
        this.opened = opened;
    }

    /** Opens (a missing file: creates) {@code file}, and holds it until {@link #close}; an IOException says why it cannot be used. */
    static PrivacyLedger open(Path file) throws IOException {
        file = file.toAbsolutePath();
        Files.createDirectories(file.getParent());
        Path lockPath = file.resolveSibling(file.getFileName() + ".lock");
        FileChannel lockFile = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException("the privacy ledger " + file + " is in use by another process (" + lockPath + " is locked)");
            }
            CacheSeal seal;
            try {
                seal = CacheSeal.of(file.getParent());
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
            var ledger = new PrivacyLedger(file, seal, lockFile, Files.exists(file) ? read(file, seal) : new TreeMap<>());
            if (!Files.exists(file)) ledger.write(ledger.opened); // there from the first start, where the operator looks for it
            return ledger;
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
    }

    private static Map<String, Long> read(Path file, CacheSeal seal) throws IOException {
        String text;
        try {
            text = new String(seal.open(CONTEXT, Files.readAllBytes(file)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("the privacy ledger " + file + " cannot be trusted (" + e.getMessage() + "): the spends it holds are"
                    + " unknown, so it is not used; restore it, or delete it to start every tenant's budget from nothing", e);
        }
        Map<String, Long> spends = new TreeMap<>();
        var lines = text.lines().toList();
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) throw new IOException("the privacy ledger " + file + " has no header");
        for (String line : lines.subList(1, lines.size())) {
            int tab = line.lastIndexOf('\t');
            long units;
            try {
                units = Long.parseLong(line.substring(tab + 1));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                units = -1;
            }
            if (tab < 1 || units < 0 || spends.put(line.substring(0, tab), units) != null) {
                throw new IOException("the privacy ledger " + file + " has a damaged line: " + line);
            }
        }
        return spends;
    }

    /** The spends as the ledger held them when it was opened, in units of 2^-20 ε. */
    Map<String, Long> spends() {
        return opened;
    }

    /** Replaces the ledger with {@code spends} (client → units), durably and atomically. */
    void write(Map<String, Long> spends) throws IOException {
        var text = new StringBuilder(HEADER).append('\n');
        new TreeMap<>(spends).forEach((client, units) -> text.append(client).append('\t').append(units).append('\n'));
        byte[] sealed = seal.seal(CONTEXT, text.toString().getBytes(StandardCharsets.UTF_8));
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            try (var out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                for (var buffer = ByteBuffer.wrap(sealed); buffer.hasRemaining(); ) out.write(buffer);
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            lockFile.close(); // releases the lock
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
