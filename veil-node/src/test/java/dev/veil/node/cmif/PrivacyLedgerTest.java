package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget's ledger (issue 23): spends survive a restart, and a ledger that cannot be trusted is refused, never reset. */
class PrivacyLedgerTest {
    @TempDir Path dir;

    @Test
    void spendsSurviveReopeningTheLedger() throws Exception {
        Path file = dir.resolve("state").resolve("privacy-ledger");
        try (var budget = PrivacyBudget.persistent(5.0, file)) {
            budget.charge("acme", 2.0);
            budget.charge("key-3", 0.1);
            assertEquals(file.toAbsolutePath(), budget.ledger());
        }
        try (var budget = PrivacyBudget.persistent(5.0, file)) {
            assertEquals(3.0, budget.remaining("acme"));
            assertEquals(2, budget.clients());
            assertTrue(budget.spent("key-3") >= 0.1, "rounded up, never down");
            assertThrows(PrivacyBudget.ExceededException.class, () -> budget.charge("acme", 3.5));
            budget.charge("acme", 3.0);
        }
        try (var budget = PrivacyBudget.persistent(8.0, file)) { // the operator may raise the limit; the spend stays
            assertEquals(3.0, budget.remaining("acme"));
        }
    }

    @Test
    void aSecondHolderIsRefused() throws Exception {
        Path file = dir.resolve("privacy-ledger");
        try (var budget = PrivacyBudget.persistent(5.0, file)) {
            var e = assertThrows(IOException.class, () -> PrivacyBudget.persistent(5.0, file));
            assertTrue(e.getMessage().contains("is in use by another process"), e.getMessage());
        }
        PrivacyBudget.persistent(5.0, file).close(); // closed, it is free again
    }

    @Test
    void aDamagedOrForeignLedgerIsRefused() throws Exception {
        Path file = dir.resolve("privacy-ledger");
        try (var budget = PrivacyBudget.persistent(5.0, file)) {
            budget.charge("acme", 4.0);
        }
        byte[] sealed = Files.readAllBytes(file);
        String text = new String(sealed, java.nio.charset.StandardCharsets.UTF_8);
        byte[] edited = sealed.clone();
        edited[text.indexOf("acme\t") + 5] ^= 1; // a smaller spend, by one digit
        Files.write(file, edited);
        var e = assertThrows(IOException.class, () -> PrivacyBudget.persistent(5.0, file));
        assertTrue(e.getMessage().startsWith("the privacy ledger " + file.toAbsolutePath() + " cannot be trusted"), e.getMessage());
        assertTrue(e.getMessage().contains("delete it to start every tenant's budget from nothing"), e.getMessage());

        Files.write(file, sealed);
        Files.delete(dir.resolve("seal.key")); // a ledger sealed under another key
        assertThrows(IOException.class, () -> PrivacyBudget.persistent(5.0, file));
        Files.delete(file);
        try (var budget = PrivacyBudget.persistent(5.0, file)) {
            assertEquals(5.0, budget.remaining("acme"), "only deleting the ledger starts afresh");
        }
    }
}
