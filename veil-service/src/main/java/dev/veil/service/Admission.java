package dev.veil.service;

import dev.veil.protocol.Counts;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may start a session now: at most {@code maxSessions} run at once, at most {@code queue} more wait (in
 * arrival order), and each client (a tenant: all its API keys together, so more keys buy no more places) has at
 * most {@code perClient} requests in the service at once (running or waiting); anything beyond is refused at once
 * with 429 and Retry-After, so a flood costs the node neither threads nor memory, and one client cannot take every
 * place in the queue.
 */
final class Admission {
    private final Semaphore running;
    private final int queue;
    private final int perClient;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> byClient = new ConcurrentHashMap<>();

    Admission(int maxSessions, int queue, int perClient) {
        if (maxSessions < 1) throw new IllegalArgumentException("--max-sessions must be at least 1");
        if (queue < 0) throw new IllegalArgumentException("--queue must not be negative");
        if (perClient < 1) throw new IllegalArgumentException("--key-sessions must be at least 1");
        this.running = new Semaphore(maxSessions, true);
        this.queue = queue;
        this.perClient = perClient;
    }

    /** A running slot for {@code client}; close it when the session ends. */
    Slot enter(String client) throws InterruptedException {
        AtomicInteger mine = byClient.computeIfAbsent(client, c -> new AtomicInteger());
        if (mine.incrementAndGet() > perClient) {
            mine.decrementAndGet();
            throw ApiError.overloaded("This tenant already has " + Counts.of(perClient, "request") + " running or waiting; retry when one"
                    + " ends.", 1);
        }
        boolean admitted = false;
        try {
            if (!running.tryAcquire()) {
                if (waiting.incrementAndGet() > queue) {
                    waiting.decrementAndGet();
                    throw ApiError.overloaded("The service is at capacity (all sessions busy, queue full); retry shortly.", 1);
                }
                try {
                    running.acquire();
                } finally {
                    waiting.decrementAndGet();
                }
            }
            admitted = true;
            return () -> {
                running.release();
                mine.decrementAndGet();
            };
        } finally {
            if (!admitted) mine.decrementAndGet();
        }
    }

    /** Sessions running now. */
    int running(int maxSessions) {
        return maxSessions - running.availablePermits();
    }

    interface Slot extends AutoCloseable {
        @Override
        void close();
    }
}
