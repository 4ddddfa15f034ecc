package io.twotower.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Another JVM on the test classpath (java.class.path), its output collected line by line. */
final class JvmProcesses {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<Long> lineNanos = new CopyOnWriteArrayList<>();
    private final Thread pump;

    private JvmProcesses(Process process) {
        this.process = process;
        this.pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lineNanos.add(System.nanoTime());
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output lost: " + e + ")");
            }
        }, "output of " + process.pid());
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code mainClass} with {@code args}, stdout and stderr merged, with {@code env} added. */
    static JvmProcesses start(Class<?> mainClass, List<String> jvmOptions, Map<String, String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        // The module opens that Flink needs on Java 17, as this JVM got them (surefire's argLine).
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("--add-opens") || option.startsWith("--add-exports")) {
                command.add(option);
            }
        }
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        return new JvmProcesses(builder.start());
    }

    /** Waits for the process and its output; returns the exit code. */
    int await() throws InterruptedException {
        int code = process.waitFor();
        pump.join(10_000);
        return code;
    }

    String output() {
        return String.join("\n", lines);
    }
}
