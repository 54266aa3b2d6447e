package dev.veil.node;

/** A weights server (or a pair of them) kept answering a call wrongly: the replies failed the node's checks on every attempt. */
public final class IntegrityException extends RuntimeException {
    public IntegrityException(String message) {
        super(message);
    }
}
