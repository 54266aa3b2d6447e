package dev.veil.cli;

import java.util.Locale;

/**
 * An out-of-memory error, on any thread, as one line: what needed the memory (the innermost Veil method on the
 * failing stack, and the thread unless it is the command's own), the heap limit, and how to raise it.
 */
final class OutOfMemory {
    private static final java.util.concurrent.atomic.AtomicBoolean INSTALLED = new java.util.concurrent.atomic.AtomicBoolean();

    private OutOfMemory() {}

    /** Reports an out-of-memory error on any other thread the same way and exits, rather than hang a command. */
    static void installHandler() {
        if (!INSTALLED.compareAndSet(false, true)) return;
        Thread.setDefaultUncaughtExceptionHandler(handler(Thread.getDefaultUncaughtExceptionHandler()));
    }

    /**
     * The handler: an out-of-memory error as one line, then exit; anything else to {@code previous}, or (none) printed as
     * the JVM prints it. Not to the thread's group: the group hands it to the default handler, this one, again.
     */
    static Thread.UncaughtExceptionHandler handler(Thread.UncaughtExceptionHandler previous) {
        return (thread, e) -> {
            OutOfMemoryError oom = find(e);
            if (oom == null) {
                if (previous != null) {
                    previous.uncaughtException(thread, e);
                } else {
                    System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                    e.printStackTrace(System.err);
                }
                return;
            }
            System.err.println("veil: " + describe(oom, thread));
            Runtime.getRuntime().halt(1);
        };
    }

    /** The out-of-memory error in {@code e}'s cause chain, or null. */
    static OutOfMemoryError find(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof OutOfMemoryError oom) return oom;
        return null;
    }

    static String describe(OutOfMemoryError e, Thread thread) {
        String where = null;
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("dev.veil.")) {
                String cls = f.getClassName();
                where = cls.substring(cls.lastIndexOf('.') + 1) + "." + f.getMethodName();
                break;
            }
        }
        long max = Runtime.getRuntime().maxMemory();
        String kind = e.getMessage() == null ? "memory" : e.getMessage().toLowerCase(Locale.ROOT);
        return String.format(Locale.ROOT, "out of %s%s%s with a heap limit of %.1f GiB; give Java more, e.g. VEIL_JAVA_OPTS=-Xmx%dg",
                kind, where == null ? "" : " in " + where,
                thread == null || thread.getName().equals("main") ? "" : " (thread " + thread.getName() + ")",
                max / (double) (1L << 30), Math.max(2, 2 * (int) Math.ceil(max / (double) (1L << 30))));
    }
}
