package dev.veil.cli;

import dev.veil.engine.gguf.TensorSources;
import dev.veil.engine.tensor.GGMLType;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/** Parses a tensor type Veil can write (case-insensitive) and lists them for --help. */
final class TensorTypes implements ITypeConverter<GGMLType>, Iterable<String> {
    @Override
    public GGMLType convert(String value) {
        GGMLType t;
        try {
            t = GGMLType.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            t = null;
        }
        if (t == null || !TensorSources.ENCODABLE.contains(t)) {
            throw new picocli.CommandLine.TypeConversionException("unsupported tensor type '" + value + "' (supported: " + this + ")");
        }
        return t;
    }

    @Override
    public Iterator<String> iterator() {
        return TensorSources.ENCODABLE.stream().map(Enum::name).iterator();
    }

    @Override
    public String toString() {
        return String.join(", ", this);
    }
}
