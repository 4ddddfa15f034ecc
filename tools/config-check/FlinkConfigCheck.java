import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.GlobalConfiguration;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Checks Flink config.yaml files against the configuration options that the Flink jars on the classpath
 * define: every key must be the key, a fallback key or a deprecated key of a {@link ConfigOption} declared
 * in a class named {@code *Options} (or start with a prefix of dynamic keys), and its value must parse as
 * that option's type. Used by tools/check-deployment-files.sh.
 *
 * <p>Usage: {@code java -cp <flink jars>:<dir of this class> FlinkConfigCheck --jars DIR[:DIR...]
 * [--allow-prefix P]... CONFIG_DIR...} (each CONFIG_DIR holds a config.yaml). Exit code 1 on any problem.
 */
public final class FlinkConfigCheck {
    private FlinkConfigCheck() {}

    public static void main(String[] args) throws Exception {
        List<String> jarDirs = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        List<String> configDirs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jars":
                    jarDirs.addAll(List.of(args[++i].split(File.pathSeparator)));
                    break;
                case "--allow-prefix":
                    prefixes.add(args[++i]);
                    break;
                default:
                    configDirs.add(args[i]);
            }
        }
        Map<String, ConfigOption<?>> options = new TreeMap<>();
        Map<String, String> deprecated = new TreeMap<>();
        int classes = 0;
        for (String dir : jarDirs) {
            File[] jars = new File(dir).listFiles((d, n) -> n.endsWith(".jar"));
            if (jars == null) {
                throw new IOException("--jars " + dir + ": not a folder");
            }
            for (File jar : jars) {
                classes += collect(jar, options, deprecated);
            }
        }
        System.out.printf("known options: %d keys from %d *Options classes%n", options.size(), classes);
        int problems = 0;
        for (String dir : configDirs) {
            problems += check(dir, options, deprecated, prefixes);
        }
        if (problems > 0) {
            System.out.printf("%d problem(s)%n", problems);
            System.exit(1);
        }
    }

    private static int collect(File jar, Map<String, ConfigOption<?>> options, Map<String, String> deprecated)
            throws IOException {
        int classes = 0;
        try (JarFile jf = new JarFile(jar)) {
            Enumeration<JarEntry> entries = jf.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (!name.endsWith("Options.class") || name.contains("$") || name.startsWith("META-INF/")) {
                    continue;
                }
                String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                Class<?> cls;
                try {
                    cls = Class.forName(className, true, FlinkConfigCheck.class.getClassLoader());
                } catch (Throwable e) {
                    continue; // a class whose dependencies are not on this classpath
                }
                classes++;
                for (Field f : cls.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                        if (option == null) {
                            continue;
                        }
                        options.putIfAbsent(option.key(), option);
                        for (FallbackKey fk : option.fallbackKeys()) {
                            options.putIfAbsent(fk.getKey(), option);
                            if (fk.isDeprecated()) {
                                deprecated.put(fk.getKey(), option.key());
                            }
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // inaccessible field: skip
                    }
                }
            }
        }
        return classes;
    }

    private static int check(String dir, Map<String, ConfigOption<?>> options, Map<String, String> deprecated,
            List<String> prefixes) {
        Path file = Path.of(dir, "config.yaml");
        if (!Files.isRegularFile(file)) {
            System.out.println("FAIL " + file + ": missing");
            return 1;
        }
        Configuration conf = GlobalConfiguration.loadConfiguration(dir);
        int problems = 0;
        int checked = 0;
        for (String key : new TreeMap<>(conf.toMap()).keySet()) {
            checked++;
            if (prefixes.stream().anyMatch(key::startsWith)) {
                continue;
            }
            ConfigOption<?> option = options.get(key);
            if (option == null) {
                System.out.println("FAIL " + file + ": unknown Flink option '" + key + "'");
                problems++;
                continue;
            }
            if (deprecated.containsKey(key)) {
                System.out.println("FAIL " + file + ": deprecated key '" + key + "', use '" + deprecated.get(key) + "'");
                problems++;
                continue;
            }
            try {
                conf.get(option);
            } catch (RuntimeException e) {
                System.out.println("FAIL " + file + ": '" + key + "': value '" + conf.toMap().get(key)
                        + "' does not parse: " + e.getMessage());
                problems++;
            }
        }
        System.out.printf("%s %s: %d keys%s%n", problems == 0 ? "OK  " : "FAIL", file, checked,
                problems == 0 ? " known to Flink, values parse" : "");
        return problems;
    }
}
