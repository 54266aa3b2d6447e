package dev.veil.service;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The service's JSON, on jackson-core's streaming parser and generator only: Jackson's object mapper (databind, 1.7 MB)
 * is not in the trusted node. A value is a {@code Map<String, Object>} (an object, its keys in order), a {@code List},
 * a {@code String}, a {@code Long} or {@code BigInteger} (a whole number), a {@code Double} (any other number; a
 * {@code Float} is written as one), a {@code Boolean}, or null.
 */
final class Json {
    /** A key given twice is an error, not "the last one wins" (a proxy in front may read the first). */
    private static final JsonFactory FACTORY = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private Json() {}

    /**
     * The first JSON value in {@code text} (what follows it is ignored, as Jackson's readTree did), or null when there
     * is none.
     *
     * @throws com.fasterxml.jackson.core.JsonProcessingException when it is not JSON, or names a key twice
     */
    static Object parse(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return p.nextToken() == null ? null : value(p);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> o = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    o.put(key, value(p));
                }
                yield o;
            }
            case START_ARRAY -> {
                List<Object> a = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) a.add(value(p));
                yield a;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IllegalStateException("unexpected JSON token " + p.currentToken());
        };
    }

    static String string(Object value) {
        return new String(bytes(value), StandardCharsets.UTF_8);
    }

    static byte[] bytes(Object value) {
        var out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (var e : m.entrySet()) {
                    g.writeFieldName((String) e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object x : l) write(g, x);
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case BigInteger b -> g.writeNumber(b);
            case Float f -> g.writeNumber(f);
            case Double d -> g.writeNumber(d);
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    /** An object of {@code keysAndValues} (key, value, key, value...), in that order; a null value is written as null. */
    static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) o.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return o;
    }
}
