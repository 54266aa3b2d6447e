package dev.veil.node.otp;

/** The weights server kept answering a call wrongly: its products failed the node's checks on every attempt. */
public final class IntegrityException extends RuntimeException {
    public IntegrityException(String message) {
        super(message);
    }
}
