package dev.veil.engine;

/** A model file or configuration Veil cannot use; the message says what and why, for the user. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
