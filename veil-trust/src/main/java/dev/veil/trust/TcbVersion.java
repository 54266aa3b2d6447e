package dev.veil.trust;

/**
 * An SEV-SNP TCB version: the security patch levels of the AMD secure processor's boot loader, its TEE, the
 * SNP firmware and the CPU microcode (and, from Turin on, the FMC). Packed in a u64 whose byte layout
 * depends on the product line (SEV-SNP ABI spec, "TCB_VERSION"): Milan and Genoa use bytes 0, 1, 6, 7;
 * Turin bytes 0 (FMC), 1, 2, 3, 7.
 */
public record TcbVersion(int fmc, int bootloader, int tee, int snp, int microcode) {
    public static TcbVersion decode(long raw, boolean turin) {
        int[] b = new int[8];
        for (int i = 0; i < 8; i++) b[i] = (int) (raw >>> (8 * i)) & 0xFF;
        return turin ? new TcbVersion(b[0], b[1], b[2], b[3], b[7]) : new TcbVersion(0, b[0], b[1], b[6], b[7]);
    }

    /** True when every component is at least {@code min}'s. */
    public boolean atLeast(TcbVersion min) {
        return fmc >= min.fmc && bootloader >= min.bootloader && tee >= min.tee && snp >= min.snp && microcode >= min.microcode;
    }

    @Override
    public String toString() {
        return (fmc > 0 ? "fmc:" + fmc + "," : "") + "bootloader:" + bootloader + ",tee:" + tee + ",snp:" + snp + ",microcode:" + microcode;
    }

    /** Parses {@code bootloader:3,tee:0,snp:8,microcode:115} (components left out are 0). */
    public static TcbVersion parse(String s) {
        int fmc = 0, bl = 0, tee = 0, snp = 0, uc = 0;
        for (String part : s.split(",")) {
            String[] kv = part.strip().split(":");
            if (kv.length != 2) throw new IllegalArgumentException("TCB component '" + part.strip() + "' is not NAME:LEVEL");
            int v;
            try {
                v = Integer.parseInt(kv[1].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("TCB level '" + kv[1].strip() + "' is not a number");
            }
            if (v < 0 || v > 255) throw new IllegalArgumentException("TCB level " + v + " is out of 0..255");
            switch (kv[0].strip()) {
                case "fmc" -> fmc = v;
                case "bootloader" -> bl = v;
                case "tee" -> tee = v;
                case "snp" -> snp = v;
                case "microcode" -> uc = v;
                default -> throw new IllegalArgumentException("unknown TCB component '" + kv[0].strip()
                        + "' (fmc, bootloader, tee, snp, microcode)");
            }
        }
        return new TcbVersion(fmc, bl, tee, snp, uc);
    }
}
