package dev.veil.experiments.cmif;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** GLUE SST-2 as shared/data/sst2 holds it: {@code sentence<TAB>label} with a header line. */
public record Sst2(List<String> sentences, int[] labels) {
    public static Sst2 read(Path... files) throws IOException {
        List<String> sentences = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new IOException("SST-2 file not found: " + f + " (set VEIL_SHARED or --data)");
            List<String> lines = Files.readAllLines(f);
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) continue;
                int tab = line.lastIndexOf('\t');
                String label = tab < 0 ? "" : line.substring(tab + 1).strip();
                if (!label.equals("0") && !label.equals("1")) throw new IOException(f + ":" + (i + 1) + ": expected 'sentence<TAB>0|1'");
                sentences.add(line.substring(0, tab).strip());
                labels.add(label.equals("1") ? 1 : 0);
            }
        }
        return new Sst2(List.copyOf(sentences), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    public int size() { return sentences.size(); }

    /** The first n examples. */
    public Sst2 limit(int n) {
        if (n >= size()) return this;
        return new Sst2(sentences.subList(0, n), java.util.Arrays.copyOf(labels, n));
    }
}
