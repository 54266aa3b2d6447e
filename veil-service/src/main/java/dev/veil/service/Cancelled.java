package dev.veil.service;

import java.io.IOException;

/** The client went away mid-stream: the generation ends at once, and nothing is answered. */
final class Cancelled extends RuntimeException {
    Cancelled(IOException cause) {
        super("client disconnected", cause, false, false);
    }
}
