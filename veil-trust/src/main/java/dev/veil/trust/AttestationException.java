package dev.veil.trust;

/** Evidence that does not verify or does not meet the policy; the message is one line naming the reason. */
public final class AttestationException extends RuntimeException {
    public AttestationException(String message) {
        super(message);
    }

    public AttestationException(String message, Throwable cause) {
        super(message, cause);
    }
}
