package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.classfile.constantpool.MethodRefEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The node's masks come from its DRBG; the seeded source exists only for the attack lab's simulations. */
class MaskRandomTest {
    @Test
    void noNodeCodeDrawsFromASeededSource() throws Exception {
        Path classes = Path.of(MaskRandom.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> callers = new ArrayList<>();
        int read = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                var model = ClassFile.of().parse(f);
                read++;
                for (var e : model.constantPool()) {
                    if (e instanceof MethodRefEntry m && m.owner().asInternalName().equals("dev/veil/node/MaskRandom")
                            && m.name().equalsString("simulation")) {
                        callers.add(model.thisClass().asInternalName());
                    }
                }
            }
        }
        assertTrue(read > 20, "read " + read + " node classes from " + classes);
        assertEquals(List.of(), callers);
    }

    @Test
    void seededSourceIsReproducibleAndTheDrbgIsNot() {
        var a = MaskRandom.simulation(new SplittableRandom(5)).uniform(64, 1);
        var b = MaskRandom.simulation(new SplittableRandom(5)).uniform(64, 1);
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(new MaskRandom().uniform(64, 1), new MaskRandom().uniform(64, 1)));
    }
}
