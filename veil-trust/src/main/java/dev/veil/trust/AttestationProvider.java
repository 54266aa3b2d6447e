package dev.veil.trust;

/**
 * Produces evidence on the trusted node: a report whose REPORT_DATA is {@code reportData} (see
 * {@link ReportData#bind}) and whose measurement covers the node's code, with what signs it.
 */
public interface AttestationProvider {
    Evidence attest(byte[] reportData);

    /** One line for the node's startup report, e.g. "AMD SEV-SNP via configfs-tsm" or "SIMULATED". */
    String describe();
}
