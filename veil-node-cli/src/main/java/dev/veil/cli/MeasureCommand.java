package dev.veil.cli;

import dev.veil.trust.CodeMeasurement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The code measurement a client's policy names: what {@code /v1/attestation} reports for a node started with
 * {@code --attestation simulated} from the same jar ({@link CodeMeasurement}, the very code that evidence uses).
 */
@Command(name = "measure", mixinStandardHelpOptions = true,
        description = "Print the code measurement (SHA-384 of the class path, hex) that this jar's node reports at /v1/attestation. "
                + "A client writes it into its policy (measurement = HEX); bin/rebuild-node.sh COMMIT rebuilds the node jar from "
                + "source and prints what to expect.")
final class MeasureCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "JAR",
            description = "measure these jars as a node would run them (java -jar JAR; only the file name and bytes count), "
                    + "rather than this process's own class path")
    List<Path> jars = new ArrayList<>();

    @Override
    public Integer call() {
        List<Path> classPath = new ArrayList<>();
        for (Path jar : jars) classPath.add(InputFiles.existing(jar, "jar"));
        byte[] m = classPath.isEmpty() ? CodeMeasurement.ofClassPath() : CodeMeasurement.of(classPath);
        System.out.println(HexFormat.of().formatHex(m));
        System.err.println("veil measure: SHA-384 of " + (classPath.isEmpty() ? "this process's class path " + System.getProperty(
                "java.class.path") : String.join(", ", jars.stream().map(Path::toString).toList()))
                + " (a policy line: measurement = the hex above)");
        return 0;
    }
}
