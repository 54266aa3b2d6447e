package dev.veil.attack.shares;

import dev.veil.attack.AttackTarget;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.Service;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.ToIntFunction;

/**
 * What the two weights servers of {@code shares} saw, written as one transcript for the attack lab: server A's
 * view alone, server B's alone, or both joined as colluding servers would join them (each call's two shares and
 * two replies added: the plain encoded rows and their products). The check rows are dropped from every call,
 * as either server can drop them itself: they are the last ℓ rows, ℓ a public parameter of each matrix.
 */
final class ShareViews {
    enum View {
        JOINED("A and B colluding", "A+B"), A("server A alone", "A"), B("server B alone", "B");

        final AttackTarget.View view;

        View(String label, String tag) {
            this.view = new AttackTarget.View(label, tag, tag.equals("A+B"));
        }
    }

    private final View view;
    private final TranscriptWriter transcript;
    private final ArrayDeque<Message[]> fromA = new ArrayDeque<>(), fromB = new ArrayDeque<>();
    private volatile ToIntFunction<MatrixId> checkRows = id -> 0;

    ShareViews(View view, TranscriptWriter transcript) {
        this.view = view;
        this.transcript = transcript;
    }

    /** The check rows of each matrix's calls, once the node has set up. */
    void checkRows(ToIntFunction<MatrixId> rows) {
        this.checkRows = rows;
    }

    /** Server {@code server} (0 = A, 1 = B) with every call it answers recorded here. */
    Service wrap(int server, Service inner) {
        return (Peer peer, Message request) -> inner.handle(peer, request).whenComplete((reply, e) -> {
            if (reply != null) seen(server, request, reply);
        });
    }

    private synchronized void seen(int server, Message request, Message reply) {
        if (transcript == null || request instanceof Message.Hello) return;
        // B's share as its seed: the lab reads the rows the seed gives, exactly what B can compute from it
        if (request instanceof Message.SeededLinear seeded) request = seeded.expand();
        if (!(request instanceof Message.Linear l)
                || !(reply instanceof Message.LinearReply r)) { // the set-up probes, the same row to both
            if (server == 0 && view != View.B || server == 1 && view == View.B) transcript.record(0, request, reply);
            return;
        }
        int drop = checkRows.applyAsInt(l.matrix());
        var call = new Message[] {new Message.Linear(l.matrix(), firstRows(l.input(), drop)),
                new Message.LinearReply(firstRows(r.output(), drop), r.serverNanos())};
        switch (view) {
            case A -> { if (server == 0) transcript.record(0, call[0], call[1]); }
            case B -> { if (server == 1) transcript.record(0, call[0], call[1]); }
            case JOINED -> {
                (server == 0 ? fromA : fromB).add(call);
                // a session's calls go out one after another, both shares at once: the queues pair them in order
                while (!fromA.isEmpty() && !fromB.isEmpty()) {
                    Message[] a = fromA.poll(), b = fromB.poll();
                    var la = (Message.Linear) a[0];
                    var ra = (Message.LinearReply) a[1];
                    transcript.record(0, new Message.Linear(la.matrix(), sum(la.input(), ((Message.Linear) b[0]).input())),
                            new Message.LinearReply(sum(ra.output(), ((Message.LinearReply) b[1]).output()), ra.serverNanos()));
                }
            }
        }
    }

    private static Rows firstRows(Rows rows, int drop) {
        var e = (Rows.RingElements) rows;
        int keep = e.rows() - drop;
        return new Rows.RingElements(e.ring(), keep, e.cols(), Arrays.copyOf(e.data(), keep * e.cols()));
    }

    private static Rows sum(Rows x, Rows y) {
        var a = (Rows.RingElements) x;
        long[] b = ((Rows.RingElements) y).data(), s = new long[a.rows() * a.cols()];
        for (int i = 0; i < s.length; i++) s[i] = a.ring().wrap(a.data()[i] + b[i]);
        return new Rows.RingElements(a.ring(), a.rows(), a.cols(), s);
    }
}
