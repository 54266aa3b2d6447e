package dev.veil.service;

import java.util.concurrent.atomic.AtomicLong;

/** What the service has done, for logs and tests: sessions started, cancelled by a client gone away, tokens generated. */
final class Counters {
    final AtomicLong started = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong tokens = new AtomicLong();

    long[] snapshot() {
        return new long[] {started.get(), cancelled.get(), tokens.get()};
    }
}
