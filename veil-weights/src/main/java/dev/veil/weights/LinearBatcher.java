package dev.veil.weights;

import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Runs products one batch at a time: calls on the same matrix (in the same numeric mode) that wait together,
 * from any sessions and connections, are stacked into one matrix multiply and their rows split back after.
 * While a batch runs, later calls queue up and form the next one. No multiply exceeds {@code maxBatchRows}: a
 * larger call is cut into parts that queue like any other call. Completing a call never blocks (the caller's
 * transport writes the reply elsewhere), so one slow caller cannot stall the others.
 */
final class LinearBatcher implements AutoCloseable {
    /** A call's product and the nanoseconds from its submission to its completion (nothing about the batch). */
    record Result(Rows output, long nanos) {}

    private record Job(MatrixId id, Rows input, CompletableFuture<Rows> result) {}

    private final BiFunction<MatrixId, Rows, Rows> multiply;
    private final int maxBatchRows;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Thread worker;
    private boolean closed;
    private long batches, calls, rows, nanos;

    LinearBatcher(BiFunction<MatrixId, Rows, Rows> multiply, int maxBatchRows) {
        this.multiply = multiply;
        this.maxBatchRows = maxBatchRows;
        this.worker = Thread.ofPlatform().daemon().name("veil-batcher").start(this::run);
    }

    CompletableFuture<Result> submit(MatrixId id, Rows input) {
        long t0 = System.nanoTime();
        List<CompletableFuture<Rows>> parts = new ArrayList<>();
        synchronized (queue) {
            if (closed) throw new IllegalStateException("weights server is shutting down");
            for (int from = 0; from < input.rows() || from == 0; from += maxBatchRows) {
                var job = new Job(id, slice(input, from, Math.min(maxBatchRows, input.rows() - from)), new CompletableFuture<>());
                queue.add(job);
                parts.add(job.result);
            }
            queue.notify();
        }
        CompletableFuture<Rows> all = parts.size() == 1 ? parts.getFirst()
                : CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> concat(parts.stream().map(CompletableFuture::join).toList()));
        return all.thenApply(out -> new Result(out, System.nanoTime() - t0));
    }

    private void run() {
        while (true) {
            List<Job> batch;
            synchronized (queue) {
                while (queue.isEmpty() && !closed) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) return;
                batch = takeBatch();
            }
            execute(batch);
        }
    }

    /** The head job and every queued job that can share its multiply. */
    private List<Job> takeBatch() {
        Job head = queue.poll();
        List<Job> batch = new ArrayList<>(List.of(head));
        int total = head.input.rows();
        for (Iterator<Job> it = queue.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.id.equals(head.id) && sameKind(j.input, head.input) && total + j.input.rows() <= maxBatchRows) {
                batch.add(j);
                total += j.input.rows();
                it.remove();
            }
        }
        return batch;
    }

    private static boolean sameKind(Rows a, Rows b) {
        return a.cols() == b.cols() && (a instanceof Rows.Floats ? b instanceof Rows.Floats
                : b instanceof Rows.RingElements rb && ((Rows.RingElements) a).ring() == rb.ring());
    }

    private void execute(List<Job> batch) {
        long t0 = System.nanoTime();
        try {
            Rows stacked = stack(batch);
            Rows out = multiply.apply(batch.getFirst().id, stacked);
            long dt = System.nanoTime() - t0;
            synchronized (this) {
                batches++;
                calls += batch.size();
                rows += stacked.rows();
                nanos += dt;
            }
            int at = 0;
            for (Job j : batch) {
                j.result.complete(slice(out, at, j.input.rows()));
                at += j.input.rows();
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            for (Job j : batch) j.result.completeExceptionally(e);
        }
    }

    private static Rows stack(List<Job> batch) {
        return concat(batch.stream().map(Job::input).toList());
    }

    /** The blocks one under the other (all of one kind and width; their total stays under maxBatchRows rows). */
    static Rows concat(List<Rows> blocks) {
        if (blocks.size() == 1) return blocks.getFirst();
        int cols = blocks.getFirst().cols(), n = 0;
        for (Rows r : blocks) n += r.rows();
        int size = Math.multiplyExact(n, cols);
        if (blocks.getFirst() instanceof Rows.RingElements first) {
            long[] d = new long[size];
            int at = 0;
            for (Rows b : blocks) {
                var r = (Rows.RingElements) b;
                System.arraycopy(r.data(), 0, d, at, r.rows() * cols);
                at += r.rows() * cols;
            }
            return new Rows.RingElements(first.ring(), n, cols, d);
        }
        float[] d = new float[size];
        int at = 0;
        for (Rows b : blocks) {
            var r = (Rows.Floats) b;
            System.arraycopy(r.data(), 0, d, at, r.rows() * cols);
            at += r.rows() * cols;
        }
        return new Rows.Floats(n, cols, d);
    }

    private static Rows slice(Rows all, int from, int count) {
        int cols = all.cols();
        if (from == 0 && count == all.rows()) return all;
        return switch (all) {
            case Rows.Floats f -> new Rows.Floats(count, cols, java.util.Arrays.copyOfRange(f.data(), from * cols, (from + count) * cols));
            case Rows.RingElements e -> new Rows.RingElements(e.ring(), count, cols, java.util.Arrays.copyOfRange(e.data(), from * cols, (from + count) * cols));
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
        synchronized (queue) {
            closed = true;
            queue.notifyAll();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
