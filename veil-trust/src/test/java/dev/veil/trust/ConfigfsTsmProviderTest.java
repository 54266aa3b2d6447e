package dev.veil.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What of the configfs-tsm provider runs without SEV-SNP hardware: its certificate table and its errors. */
class ConfigfsTsmProviderTest {
    @Test
    void readsTheVcekAndAskFromAmdsCertificateTable() throws Exception {
        var amd = new TestAmd();
        byte[] vcek = amd.vcekCert.getEncoded(), ask = amd.askCert.getEncoded();
        int header = 4 * 24; // three entries and the terminator
        var b = ByteBuffer.allocate(header + vcek.length + ask.length).order(ByteOrder.LITTLE_ENDIAN);
        entry(b, UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae"), header + vcek.length, ask.length); // ARK GUID: ignored
        entry(b, ConfigfsTsmProvider.ASK, header + vcek.length, ask.length);
        entry(b, ConfigfsTsmProvider.VCEK, header, vcek.length);
        b.position(header).put(vcek).put(ask);
        var chain = ConfigfsTsmProvider.certificateTable(b.array());
        assertEquals(List.of(amd.vcekCert, amd.askCert), chain);
        assertEquals(amd.vcekCert, AmdChain.verify(chain, List.of(amd.root), java.time.Instant.now()));
        // an entry pointing past the table
        var bad = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        entry(bad, ConfigfsTsmProvider.VCEK, 40, 4096);
        assertThrows(AttestationException.class, () -> ConfigfsTsmProvider.certificateTable(bad.array()));
    }

    @Test
    void guidsAreReadInAmdsMixedEndianLayout() {
        byte[] raw = {(byte) 0x8d, 0x75, (byte) 0xda, 0x63, 0x64, (byte) 0xe6, 0x64, 0x45, (byte) 0xad, (byte) 0xc5, (byte) 0xf4,
                (byte) 0xb9,
                0x3b, (byte) 0xe8, (byte) 0xac, (byte) 0xcd};
        assertEquals(ConfigfsTsmProvider.VCEK, ConfigfsTsmProvider.guid(raw));
    }

    @Test
    void withoutTheInterfaceItSaysSo(@TempDir Path dir) {
        var e = assertThrows(AttestationException.class, () -> new ConfigfsTsmProvider(dir.resolve("tsm/report"), List.of()));
        assertTrue(e.getMessage().startsWith("no configfs-tsm report interface at "), e.getMessage());
    }

    static void entry(ByteBuffer b, UUID guid, int offset, int length) {
        long msb = guid.getMostSignificantBits();
        b.putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
        b.order(ByteOrder.BIG_ENDIAN).putLong(guid.getLeastSignificantBits()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(offset).putInt(length);
    }
}
