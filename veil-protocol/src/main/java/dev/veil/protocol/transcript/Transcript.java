package dev.veil.protocol.transcript;

import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A whole transcript in memory: the model it is about and every call in order. */
public record Transcript(String modelId, ModelDims shape, List<TranscriptEntry> entries) {
    /** The public base Mpub the server was given for each matrix (the attacker knows them). */
    public Map<MatrixId, Rows> publicBases() {
        Map<MatrixId, Rows> bases = new LinkedHashMap<>();
        for (var e : entries) if (e.request() instanceof Message.Setup s) bases.put(s.matrix(), s.base());
        return bases;
    }

    /** The CMIF decoder-stack calls, in order (each names its connection, session and first position). */
    public List<TranscriptEntry> decodeCalls() {
        return entries.stream().filter(TranscriptEntry::isDecode).toList();
    }

    /** The masked linear calls, in order. */
    public List<TranscriptEntry> linearCalls() {
        return entries.stream().filter(TranscriptEntry::isLinear).toList();
    }
}
