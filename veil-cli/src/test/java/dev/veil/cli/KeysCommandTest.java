package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.CodeMeasurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil keys}: private keys never land in a git working tree by accident, and a starting policy for the walk-through. */
class KeysCommandTest {
    @TempDir Path dir;

    @Test
    void refusesToWriteInsideAGitWorkingTree() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve(".git"));
        Path keys = repo.resolve("sub").resolve("keys");
        var run = CliRun.of("keys", "--out", keys.toString());
        assertEquals(1, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("veil: " + keys + " is inside the git working tree " + repo + ":"), run.err());
        assertTrue(run.err().contains("--in-working-tree"), run.err());
        assertFalse(Files.exists(keys), "nothing written");

        // A worktree's .git is a file; --in-working-tree says it is meant.
        Files.delete(repo.resolve(".git"));
        Files.writeString(repo.resolve(".git"), "gitdir: /elsewhere\n");
        assertEquals(1, CliRun.of("keys", "--out", keys.toString()).code());
        var meant = CliRun.of("keys", "--out", keys.toString(), "--in-working-tree", "--days", "1");
        assertEquals(0, meant.code(), meant.err());
        assertTrue(meant.err().startsWith("veil keys: CA and 3 identities valid 1 day;"), meant.err());
        assertTrue(Files.isRegularFile(keys.resolve("node").resolve("identity.p12")));
    }

    @Test
    void writesThisBuildsSimulatedMeasurementAsAPolicy() throws Exception {
        Path policy = dir.resolve("policy.properties");
        var run = CliRun.of("keys", "--out", dir.resolve("keys").toString(), "--policy", policy.toString());
        assertEquals(0, run.code(), run.err());
        // The node measures its class path under --attestation simulated; in this test that is this class path.
        String measurement = HexFormat.of().formatHex(CodeMeasurement.ofClassPath());
        assertEquals(Set.of(measurement), AttestationPolicy.load(policy).measurements());
        assertTrue(Files.readString(policy).contains("measurement = " + measurement + "\n"), Files.readString(policy));
        assertTrue(run.err().contains(policy.toString()), run.err());

        // Alone, --policy writes only the policy (after a rebuild, for keys made before); it never overwrites one.
        Path second = dir.resolve("again.properties");
        assertEquals(0, CliRun.of("keys", "--policy", second.toString()).code());
        assertEquals(Files.readString(policy), Files.readString(second));
        var again = CliRun.of("keys", "--policy", second.toString());
        assertEquals(1, again.code());
        assertEquals("veil: " + second + " exists; remove it first", again.err().strip());
        var neither = CliRun.of("keys");
        assertEquals(1, neither.code());
        assertTrue(neither.err().startsWith("veil: give --out DIR (keys), --policy FILE, or both"), neither.err());
    }

    @Test
    void theRepositoryIgnoresTheWalkThroughsKeysAndPolicy() throws Exception {
        var lines = Files.readAllLines(Path.of("..", ".gitignore"));
        assertTrue(lines.contains("/keys/") && lines.contains("/policy.properties"), lines.toString());
    }
}
