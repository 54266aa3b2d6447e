package dev.veil.protocol.oip;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON the Open Inference Protocol needs, read and written without a dependency (the reader runs in
 * the attested node and on a port open to untrusted peers). Objects become {@link LinkedHashMap}s, strings
 * {@link String}s, booleans {@link Boolean}s, null {@code null}; an array of numbers only becomes {@link Numbers}
 * (primitive: eight bytes a value, never a boxed object each), any other array a {@link List}. Integers are kept
 * exact as longs (INT64 tensor data), other numbers as doubles. Nesting is bounded; any fault is an
 * {@link IllegalArgumentException} with a one-line reason.
 */
public final class Json {
    /** Arrays and objects nested deeper than this are refused. */
    public static final int MAX_DEPTH = 32;

    /** A JSON array of numbers: exact longs while every value is an integer, else doubles. */
    public static final class Numbers {
        private long[] longs = new long[16];
        private double[] doubles;
        private int size;

        void add(long v) {
            if (doubles != null) {
                add((double) v);
                return;
            }
            if (size == longs.length) longs = Arrays.copyOf(longs, size * 2);
            longs[size++] = v;
        }

        void add(double v) {
            if (doubles == null) {
                doubles = new double[Math.max(16, longs.length)];
                for (int i = 0; i < size; i++) doubles[i] = longs[i];
                longs = null;
            }
            if (size == doubles.length) doubles = Arrays.copyOf(doubles, size * 2);
            doubles[size++] = v;
        }

        public int size() { return size; }

        /** Whether every value was written as an integer. */
        public boolean integral() { return doubles == null; }

        public long longAt(int i) {
            if (doubles != null) throw new IllegalArgumentException("expected integers, got " + doubles[i]);
            return longs[i];
        }

        public double doubleAt(int i) {
            return doubles != null ? doubles[i] : longs[i];
        }
    }

    private final byte[] text;
    private final int end;
    private int at;

    private Json(byte[] text, int from, int end) {
        this.text = text;
        this.at = from;
        this.end = end;
    }

    /** Parses the UTF-8 JSON text in {@code text[from, from + length)}. */
    public static Object parse(byte[] text, int from, int length) {
        var p = new Json(text, from, from + length);
        p.space();
        Object v = p.value(0);
        p.space();
        if (p.at != p.end) throw p.fault("trailing characters");
        return v;
    }

    public static Object parse(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return parse(b, 0, b.length);
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw fault("nested deeper than " + MAX_DEPTH);
        if (at >= end) throw fault("unexpected end");
        byte c = text[at];
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw fault("unexpected character " + shown(c));
            }
        };
    }

    private Map<String, Object> object(int depth) {
        at++;
        var m = new LinkedHashMap<String, Object>();
        space();
        if (peek() == '}') {
            at++;
            return m;
        }
        while (true) {
            space();
            if (peek() != '"') throw fault("expected a member name");
            String k = string();
            space();
            expect(':');
            space();
            if (m.put(k, value(depth + 1)) != null) throw fault("member '" + k + "' given twice");
            space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect('}');
            return m;
        }
    }

    private Object array(int depth) {
        at++;
        space();
        if (peek() == ']') {
            at++;
            return new ArrayList<>();
        }
        byte c = peek();
        if (c == '-' || (c >= '0' && c <= '9')) {
            var n = new Numbers();
            while (true) {
                space();
                Object v = number();
                if (v instanceof Long l) n.add(l);
                else n.add((Double) v);
                space();
                if (peek() == ',') {
                    at++;
                    continue;
                }
                expect(']');
                return n;
            }
        }
        var list = new ArrayList<>();
        while (true) {
            space();
            list.add(value(depth + 1));
            space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private Object number() {
        int start = at;
        boolean integral = true;
        if (peek() == '-') at++;
        while (at < end) {
            byte c = text[at];
            if (c >= '0' && c <= '9') at++;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                at++;
            } else break;
        }
        String s = new String(text, start, at - start, StandardCharsets.US_ASCII);
        if (at - start > 40) throw fault("a number of " + (at - start) + " characters");
        try {
            if (integral) return Long.parseLong(s);
            double d = Double.parseDouble(s);
            if (s.endsWith(".") || s.startsWith(".") || s.startsWith("-.")) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw fault("bad number '" + s + "'" + (integral ? " (integers must fit 64 bits)" : ""));
        }
    }

    private String string() {
        at++;
        var out = new StringBuilder();
        int run = at;
        while (true) {
            if (at >= end) throw fault("unterminated string");
            byte c = text[at];
            if (c == '"') {
                out.append(new String(text, run, at - run, StandardCharsets.UTF_8));
                at++;
                return out.toString();
            }
            if ((c & 0xff) < 0x20) throw fault("control character in a string");
            if (c != '\\') {
                at++;
                continue;
            }
            out.append(new String(text, run, at - run, StandardCharsets.UTF_8));
            at++;
            if (at >= end) throw fault("unterminated string");
            byte e = text[at++];
            switch (e) {
                case '"', '\\', '/' -> out.append((char) e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (at + 4 > end) throw fault("short \\u escape");
                    try {
                        out.append((char) Integer.parseInt(new String(text, at, 4, StandardCharsets.US_ASCII), 16));
                    } catch (NumberFormatException x) {
                        throw fault("bad \\u escape");
                    }
                    at += 4;
                }
                default -> throw fault("bad escape \\ then " + shown(e));
            }
            run = at;
        }
    }

    private Object word(String w, Object v) {
        byte[] b = w.getBytes(StandardCharsets.US_ASCII);
        if (at + b.length > end || !Arrays.equals(text, at, at + b.length, b, 0, b.length)) throw fault("unexpected word");
        at += b.length;
        return v;
    }

    private byte peek() {
        if (at >= end) throw fault("unexpected end");
        return text[at];
    }

    private void expect(char c) {
        if (peek() != c) throw fault("expected '" + c + "'");
        at++;
    }

    private void space() {
        while (at < end && (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' || text[at] == '\t')) at++;
    }

    private IllegalArgumentException fault(String why) {
        return new IllegalArgumentException("malformed JSON at byte " + at + ": " + why);
    }

    /** {@code s} as a JSON string literal. */
    /** A byte of the input as an error may show it: printable ASCII quoted, anything else by its code (never a line break). */
    private static String shown(int b) {
        return b > 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format(java.util.Locale.ROOT, "byte 0x%02x", b & 0xff);
    }

    public static String quote(String s) {
        var out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }

    /** The member {@code name} of {@code object} if it is a JSON object; else a fault naming {@code what}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object v, String what) {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(what + " must be a JSON object");
    }

    /** {@code v} as a list of values (a {@link Numbers} array becomes a list of longs or doubles). */
    public static List<Object> list(Object v, String what) {
        if (v instanceof List<?> l) return new ArrayList<>(l);
        if (v instanceof Numbers n) {
            var out = new ArrayList<>(n.size());
            for (int i = 0; i < n.size(); i++) out.add(n.integral() ? (Object) n.longAt(i) : (Object) n.doubleAt(i));
            return out;
        }
        throw new IllegalArgumentException(what + " must be a JSON array");
    }

    /** A tensor's {@code data} as one flat array: given flat, or nested row by row (an empty array is no values). */
    public static Numbers flatten(Object data) {
        if (data instanceof Numbers n) return n;
        var out = new Numbers();
        if (!(data instanceof List<?> rows)) throw new IllegalArgumentException("the input has neither data nor binary_data_size");
        for (Object row : rows) {
            if (!(row instanceof Numbers n)) {
                throw new IllegalArgumentException("tensor data must be an array of numbers, or of rows of numbers");
            }
            for (int i = 0; i < n.size(); i++) {
                if (n.integral()) out.add(n.longAt(i));
                else out.add(n.doubleAt(i));
            }
        }
        return out;
    }

    public static String string(Object v, String what) {
        if (v instanceof String s) return s;
        throw new IllegalArgumentException(what + " must be a string");
    }

    public static long integer(Object v, String what) {
        if (v instanceof Long l) return l;
        throw new IllegalArgumentException(what + " must be an integer");
    }
}
