package dev.veil.weights;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Runs products one batch at a time: calls on the same matrix (in the same numeric mode) that wait together, from
 * any sessions and connections, are stacked into one matrix multiply and their rows split back after. Peers are
 * served fairly (start-time fair queueing): each peer's calls wait in its own queue, and the next batch starts with
 * the peer that has had the least multiply-adds so far, so a peer that floods the server waits behind its own calls,
 * not the others behind it; a peer that is not {@code ready} (it does not read its replies) gets nothing computed until
 * it is. No multiply exceeds {@code maxBatchRows} rows, nor, past {@code minBatchRows} rows (the engine's:
 * {@link LinearEngine#minBatchRows}), {@link #BATCH_MACS} multiply-adds: a larger call is cut into parts that queue like any other call, and a call that
 * arrives waits at most for the batch running. Completing a call never blocks (the caller's transport writes the
 * reply elsewhere), so one slow caller cannot stall the others.
 */
final class LinearBatcher implements AutoCloseable {
    /** Multiply-adds one batch takes at most, past MIN_BATCH_ROWS rows: about half a millisecond of ring products here. */
    static final long BATCH_MACS = 1L << 21;
    /** Rows a batch may always take by default: a few calls batched together on a matrix wider than BATCH_MACS allows for. */
    static final int MIN_BATCH_ROWS = 16;

    /** A call's product and the nanoseconds from its submission to its completion (nothing about the batch). */
    record Result(Rows output, long nanos) {}

    /** One call: rows handed to batches so far, rows done, and its product as its parts complete. */
    private static final class Job {
        final MatrixId id;
        final Rows input;
        final CompletableFuture<Rows> result = new CompletableFuture<>();
        int taken, done;
        Rows output;

        Job(MatrixId id, Rows input) {
            this.id = id;
            this.input = input;
        }
    }

    /** A peer's calls in order, and the virtual time at which its next part starts. */
    private static final class Queue {
        final Object owner;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        long start;

        Queue(Object owner) {
            this.owner = owner;
        }
    }

    private record Part(Job job, int from, int rows) {}

    private final BiFunction<MatrixId, Rows, Rows> multiply;
    private final ToLongFunction<MatrixId> rowCost;
    private final Predicate<Object> ready;
    private final int maxBatchRows, minBatchRows;
    private final Map<Object, Queue> queues = new HashMap<>(); // guarded by queues
    private long now; // virtual time: the start of the batch last begun
    private final Thread worker;
    private boolean closed;
    private long batches, calls, rows, nanos;

    LinearBatcher(BiFunction<MatrixId, Rows, Rows> multiply, ToLongFunction<MatrixId> rowCost, int maxBatchRows) {
        this(multiply, rowCost, owner -> true, maxBatchRows, MIN_BATCH_ROWS);
    }

    /**
     * @param rowCost multiply-adds of one row of a matrix (d_in · d_out)
     * @param ready whether an owner's calls may run now (checked before every batch)
     * @param minBatchRows rows a batch may take however wide the matrix (the engine's {@link LinearEngine#minBatchRows})
     */
    LinearBatcher(BiFunction<MatrixId, Rows, Rows> multiply, ToLongFunction<MatrixId> rowCost, Predicate<Object> ready, int maxBatchRows,
            int minBatchRows) {
        if (minBatchRows < 1) throw new IllegalArgumentException("a batch takes at least one row, not " + minBatchRows);
        this.multiply = multiply;
        this.rowCost = rowCost;
        this.ready = ready;
        this.maxBatchRows = maxBatchRows;
        this.minBatchRows = minBatchRows;
        this.worker = Thread.ofPlatform().daemon().name("veil-batcher").start(this::run);
    }

    /** Queues {@code input} for {@code owner} (a peer: the unit of fairness). */
    CompletableFuture<Result> submit(Object owner, MatrixId id, Rows input) {
        long t0 = System.nanoTime();
        var job = new Job(id, input);
        synchronized (queues) {
            if (closed) throw new IllegalStateException("weights server is shutting down");
            Queue q = queues.computeIfAbsent(owner, o -> {
                var fresh = new Queue(o);
                fresh.start = now; // an idle peer starts now: it gains nothing by having waited
                return fresh;
            });
            q.jobs.add(job);
            queues.notify();
        }
        return job.result.thenApply(out -> new Result(out, System.nanoTime() - t0));
    }

    /** Drops the calls {@code owner} still has queued (its connection closed): they fail, and cost nothing more. */
    void forget(Object owner) {
        Queue q;
        synchronized (queues) {
            q = queues.remove(owner);
        }
        if (q != null) q.jobs.forEach(j -> j.result.completeExceptionally(new ProtocolException(ErrorCode.CLOSED, "the peer left")));
    }

    private void run() {
        while (true) {
            List<Part> batch;
            synchronized (queues) {
                while (queues.isEmpty() && !closed) {
                    try {
                        queues.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queues.isEmpty()) return;
                batch = takeBatch();
                if (batch.isEmpty()) { // every caller waiting is behind on reading its replies: look again shortly
                    try {
                        queues.wait(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            execute(batch);
        }
    }

    /** Rows one batch on {@code id} may take. */
    int batchRows(MatrixId id) {
        return batchRows(rowCost.applyAsLong(id), maxBatchRows, minBatchRows);
    }

    /** Rows one batch may take of a matrix whose rows cost {@code rowCost} multiply-adds each (Veil's own engine). */
    static int batchRows(long rowCost, int maxBatchRows) {
        return batchRows(rowCost, maxBatchRows, MIN_BATCH_ROWS);
    }

    /** As above, for an engine whose batches may always take {@code minBatchRows} rows. */
    static int batchRows(long rowCost, int maxBatchRows, int minBatchRows) {
        long fit = BATCH_MACS / Math.max(1, rowCost);
        return (int) Math.min(maxBatchRows, Math.max(Math.min(minBatchRows, maxBatchRows), fit));
    }

    /** Parts of the peer due first and then of the others in fair order, on the head's matrix, up to a batch. */
    private List<Part> takeBatch() {
        List<Queue> order = new ArrayList<>();
        for (Queue q : queues.values()) if (ready.test(q.owner)) order.add(q);
        if (order.isEmpty()) return List.of();
        order.sort(Comparator.comparingLong(q -> q.start));
        Queue first = order.getFirst();
        now = first.start;
        Job head = first.jobs.peek();
        int room = batchRows(head.id);
        List<Part> batch = new ArrayList<>();
        for (Queue q : order) {
            room -= take(q, head, room, batch);
            if (room == 0) break;
        }
        queues.values().removeIf(q -> q.jobs.isEmpty());
        return batch;
    }

    /** Takes up to {@code room} rows of {@code q}'s leading calls that can share {@code head}'s multiply; returns how many. */
    private int take(Queue q, Job head, int room, List<Part> batch) {
        int taken = 0;
        long cost = Math.max(1, rowCost.applyAsLong(head.id));
        for (Job j; (j = q.jobs.peek()) != null && taken < room && j.id.equals(head.id) && sameKind(j.input, head.input); ) {
            int n = Math.min(room - taken, j.input.rows() - j.taken);
            batch.add(new Part(j, j.taken, n));
            j.taken += n;
            taken += n;
            q.start += n * cost + 1; // + 1: a call of no rows costs its turn too
            if (j.taken == j.input.rows()) q.jobs.poll();
        }
        return taken;
    }

    private static boolean sameKind(Rows a, Rows b) {
        return a.cols() == b.cols() && (a instanceof Rows.Floats ? b instanceof Rows.Floats
                : b instanceof Rows.RingElements rb && ((Rows.RingElements) a).ring() == rb.ring());
    }

    private void execute(List<Part> batch) {
        long t0 = System.nanoTime();
        try {
            Rows stacked = stack(batch);
            Rows out = multiply.apply(batch.getFirst().job.id, stacked);
            long dt = System.nanoTime() - t0;
            synchronized (this) {
                batches++;
                calls += batch.size();
                rows += stacked.rows();
                nanos += dt;
            }
            int at = 0;
            for (Part p : batch) {
                complete(p, out, at);
                at += p.rows;
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            for (Part p : batch) p.job.result.completeExceptionally(e);
        }
    }

    /** Copies a part's rows of the batch's product into its call's product; the call completes with its last part. */
    private static void complete(Part p, Rows out, int at) {
        Job j = p.job;
        if (p.from == 0 && p.rows == j.input.rows()) { // the whole call: no copy
            j.result.complete(p.rows == out.rows() ? out : slice(out, at, p.rows));
            return;
        }
        int cols = out.cols(), n = j.input.rows();
        if (j.output == null) {
            j.output = switch (out) {
                case Rows.Floats f -> new Rows.Floats(n, cols, new float[Math.multiplyExact(n, cols)]);
                case Rows.RingElements e -> new Rows.RingElements(e.ring(), n, cols, new long[Math.multiplyExact(n, cols)]);
            };
        }
        switch (out) {
            case Rows.Floats f -> System.arraycopy(f.data(), at * cols, ((Rows.Floats) j.output).data(), p.from * cols, p.rows * cols);
            case Rows.RingElements e -> System.arraycopy(e.data(), at * cols, ((Rows.RingElements) j.output).data(), p.from * cols,
                    p.rows * cols);
        }
        j.done += p.rows;
        if (j.done == n) j.result.complete(j.output);
    }

    /** The parts' rows one under the other; a part that starts its call's block is used as it is when alone. */
    private static Rows stack(List<Part> batch) {
        Part first = batch.getFirst();
        if (batch.size() == 1 && first.from == 0) return view(first.job.input, first.rows);
        int cols = first.job.input.cols(), n = 0;
        for (Part p : batch) n += p.rows;
        int size = Math.multiplyExact(n, cols), at = 0;
        if (first.job.input instanceof Rows.RingElements r) {
            long[] d = new long[size];
            for (Part p : batch) {
                System.arraycopy(((Rows.RingElements) p.job.input).data(), p.from * cols, d, at, p.rows * cols);
                at += p.rows * cols;
            }
            return new Rows.RingElements(r.ring(), n, cols, d);
        }
        float[] d = new float[size];
        for (Part p : batch) {
            System.arraycopy(((Rows.Floats) p.job.input).data(), p.from * cols, d, at, p.rows * cols);
            at += p.rows * cols;
        }
        return new Rows.Floats(n, cols, d);
    }

    /** The first {@code rows} rows of {@code x}, sharing its values. */
    private static Rows view(Rows x, int rows) {
        if (rows == x.rows()) return x;
        return switch (x) {
            case Rows.Floats f -> new Rows.Floats(rows, f.cols(), f.data());
            case Rows.RingElements e -> new Rows.RingElements(e.ring(), rows, e.cols(), e.data());
        };
    }

    private static Rows slice(Rows all, int from, int count) {
        int cols = all.cols();
        return switch (all) {
            case Rows.Floats f -> new Rows.Floats(count, cols, java.util.Arrays.copyOfRange(f.data(), from * cols, (from + count) * cols));
            case Rows.RingElements e -> new Rows.RingElements(e.ring(), count, cols, java.util.Arrays.copyOfRange(e.data(), from * cols,
                    (from + count) * cols));
        };
    }

    /** Batches run, calls served (parts of a cut call count apiece), rows multiplied, nanoseconds spent multiplying. */
    synchronized long[] stats() {
        return new long[] {batches, calls, rows, nanos};
    }

    int maxBatchRows() {
        return maxBatchRows;
    }

    @Override
    public void close() {
        synchronized (queues) {
            closed = true;
            queues.notifyAll();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
