package io.twotower.job.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line arguments in Flink's style: positional words, {@code --name value} or {@code --name=value}
 * options, repeated {@code --set key=value} overrides and {@code -Dkey=value} Flink options.
 */
public final class CliArgs {
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> sets = new ArrayList<>();
    private final Map<String, String> flinkOptions = new LinkedHashMap<>();
    private final Set<String> flags;

    private CliArgs(Set<String> flags) {
        this.flags = flags;
    }

    /** Parses {@code args}; names in {@code flags} take no value. */
    public static CliArgs parse(String[] args, Set<String> flags) {
        CliArgs parsed = new CliArgs(flags);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("-D") && a.length() > 2) {
                String kv = a.substring(2);
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException(a + ": expected -Dkey=value");
                }
                parsed.flinkOptions.put(kv.substring(0, eq), kv.substring(eq + 1));
            } else if (a.startsWith("--")) {
                String name = a.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (flags.contains(name)) {
                    value = "true";
                } else {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                if (name.equals("set")) {
                    parsed.sets.add(value);
                } else {
                    parsed.options.put(name, value);
                }
            } else {
                parsed.positional.add(a);
            }
        }
        return parsed;
    }

    public List<String> positional() {
        return Collections.unmodifiableList(positional);
    }

    public String required(String name) {
        String v = options.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing required option --" + name);
        }
        return v;
    }

    public String get(String name, String defaultValue) {
        return options.getOrDefault(name, defaultValue);
    }

    public int getInt(String name, int defaultValue) {
        String v = options.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(options.getOrDefault(name, "false"));
    }

    /** Options whose name starts with {@code prefix}, with the prefix removed (e.g. kafka.*). */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        options.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /** Fails on any option not in {@code known} (a typo should not be silently ignored). */
    public void rejectUnknown(Set<String> known, String command) {
        for (String name : options.keySet()) {
            if (!known.contains(name) && !(known.contains("kafka.*") && name.startsWith("kafka."))) {
                throw new IllegalArgumentException("unknown option --" + name + " for '" + command + "'; known: " + known);
            }
        }
    }

    public List<String> sets() {
        return Collections.unmodifiableList(sets);
    }

    public Map<String, String> flinkOptions() {
        return Collections.unmodifiableMap(flinkOptions);
    }
}
