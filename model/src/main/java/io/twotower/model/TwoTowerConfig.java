package io.twotower.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The training configuration: the notebook's CFG under the notebook's key names, plus the few keys this
 * project adds, each validated with a message that names the key.
 */
public final class TwoTowerConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Every accepted key with its default; the notebook's CFG first, in the notebook's order. */
    private static final Map<String, Object> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("d_model", 256);
        DEFAULTS.put("batch_size", 512);
        DEFAULTS.put("accum_steps", 2);
        DEFAULTS.put("epochs", 50);
        DEFAULTS.put("patience", 6);
        DEFAULTS.put("lr", 5e-4);
        DEFAULTS.put("weight_decay", 1e-4);
        DEFAULTS.put("dropout", 0.2);
        DEFAULTS.put("eval_topk", 10);
        DEFAULTS.put("seed", 42);
        DEFAULTS.put("k_neg", 50);
        DEFAULTS.put("fixed_logit_scale", 10.0);
        // Keys this project adds; the notebook hard-codes these values.
        DEFAULTS.put("plateau_factor", 0.5);
        DEFAULTS.put("plateau_patience", 3);
        DEFAULTS.put("device", "auto");
        DEFAULTS.put("eval_block_size", 4096);
        DEFAULTS.put("trainer_threads", "auto");
        // How often and on what the schedule acts (issue 15); the defaults keep the notebook's loop: an evaluation
        // after every epoch, ReduceLROnPlateau on it, torch.optim.AdamW's beta2.
        DEFAULTS.put("eval_every", 1);
        DEFAULTS.put("lr_schedule", "plateau");
        DEFAULTS.put("adam_beta2", 0.999);
        // Retrieval quality beyond the notebook (issue 8); every default keeps the notebook's model.
        DEFAULTS.put("model", "seed");
        DEFAULTS.put("user_id_embedding", Boolean.FALSE);
        DEFAULTS.put("history_length", 50);
        DEFAULTS.put("history_pooling", "mean");
        DEFAULTS.put("recency_decay", 0.9);
        DEFAULTS.put("negatives", "uniform");
        DEFAULTS.put("logq_correction", Boolean.TRUE);
        DEFAULTS.put("frequency_buckets", 262144);
        DEFAULTS.put("frequency_hashes", 2);
        DEFAULTS.put("frequency_alpha", 0.01);
        DEFAULTS.put("exclude_history", Boolean.FALSE);
        // Catalog scale (issue 13): how the embedding tables are updated; dense keeps the notebook's AdamW.
        DEFAULTS.put("embedding_optimizer", "dense");
        DEFAULTS.put("embedding_lr", 0.0);
        DEFAULTS.put("adagrad_eps", 1e-8);
        DEFAULTS.put("adagrad_initial_accumulator", 0.0);
        // The sequence tower (issue 15): a causal self-attention user tower over the last history_length items.
        DEFAULTS.put("sequence_blocks", 2);
        DEFAULTS.put("sequence_heads", 1);
        DEFAULTS.put("sequence_training", "every_position");
        DEFAULTS.put("sequence_windows_per_user", 0);
        DEFAULTS.put("item_tower_mlp", "auto");
        // Data scale (issue 14): the compact layout's reader shuffles through a buffer of this many training rows.
        DEFAULTS.put("shuffle_buffer", 1_000_000);
        // ... read by this many parallel readers, each a share of the parts (the epoch's order depends on it).
        DEFAULTS.put("readers", 1);
        // ... each at most this many epoch positions ahead of the trainer (which bounds its reorder buffer).
        DEFAULTS.put("read_ahead", 16_384);
    }

    private final Map<String, Object> values;

    private TwoTowerConfig(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
        validate();
    }

    /** The notebook's defaults. */
    public static TwoTowerConfig defaults() {
        return new TwoTowerConfig(new LinkedHashMap<>(DEFAULTS));
    }

    /** Reads a YAML mapping of keys to values over the defaults; {@code source} names it in errors. */
    public static TwoTowerConfig fromYaml(InputStream in, String source) throws IOException {
        Object parsed = new ObjectMapper(new YAMLFactory()).readValue(in, Object.class);
        if (parsed == null) {
            return defaults();
        }
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException(source + ": expected a mapping of configuration keys, found " + parsed);
        }
        Map<String, Object> raw = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
            raw.put(String.valueOf(e.getKey()), e.getValue());
        }
        return defaults().withValues(raw, source);
    }

    /** Applies {@code key=value} overrides (as given with {@code --set}). */
    public TwoTowerConfig withOverrides(Iterable<String> assignments) {
        Map<String, Object> raw = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set " + a + ": expected key=value, e.g. --set epochs=3");
            }
            raw.put(a.substring(0, eq).trim(), a.substring(eq + 1).trim());
        }
        return withValues(raw, "--set");
    }

    /** Returns a copy with the given keys replaced; values may be strings and are converted per key. */
    public TwoTowerConfig withValues(Map<String, ?> raw, String source) {
        Map<String, Object> merged = new LinkedHashMap<>(values);
        for (Map.Entry<String, ?> e : raw.entrySet()) {
            String key = e.getKey();
            if (!DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException(
                        source + ": unknown configuration key '" + key + "'; known keys: " + DEFAULTS.keySet());
            }
            merged.put(key, convert(key, e.getValue(), source));
        }
        return new TwoTowerConfig(merged);
    }

    private static Object convert(String key, Object value, String source) {
        Object def = DEFAULTS.get(key);
        String text = String.valueOf(value).trim();
        try {
            if (def instanceof Integer) {
                if (value instanceof Number && ((Number) value).doubleValue() % 1 != 0) {
                    throw new NumberFormatException();
                }
                return value instanceof Number ? ((Number) value).intValue() : Integer.parseInt(text);
            }
            if (def instanceof Boolean) {
                if (value instanceof Boolean) {
                    return value;
                }
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    return Boolean.parseBoolean(text.toLowerCase(Locale.ROOT));
                }
                throw new IllegalArgumentException(
                        source + ": configuration key '" + key + "' expects true or false, got '" + text + "'");
            }
            if (def instanceof Double) {
                return value instanceof Number ? ((Number) value).doubleValue() : Double.parseDouble(text);
            }
            return text.toLowerCase(Locale.ROOT);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(
                    source + ": configuration key '" + key + "' expects "
                            + (def instanceof Integer ? "an integer" : "a number") + ", got '" + text + "'");
        }
    }

    private void validate() {
        positive("d_model");
        positive("batch_size");
        positive("accum_steps");
        positive("epochs");
        positive("patience");
        positive("eval_topk");
        positive("k_neg");
        positive("plateau_patience");
        positive("eval_block_size");
        positive("eval_every");
        oneOf("lr_schedule", "plateau", "constant");
        if (!(adamBeta2() > 0) || adamBeta2() >= 1) {
            throw outOfRange("adam_beta2", "must be in (0, 1)");
        }
        positiveNumber("lr");
        positiveNumber("fixed_logit_scale");
        if (weightDecay() < 0) {
            throw outOfRange("weight_decay", "must be >= 0");
        }
        if (dropout() < 0 || dropout() >= 1) {
            throw outOfRange("dropout", "must be in [0, 1)");
        }
        if (plateauFactor() <= 0 || plateauFactor() >= 1) {
            throw outOfRange("plateau_factor", "must be in (0, 1)");
        }
        String device = device();
        if (!device.equals("auto") && !device.equals("cpu") && !device.equals("gpu")) {
            throw outOfRange("device", "must be one of auto, cpu, gpu");
        }
        if (!values.get("trainer_threads").equals("auto")) {
            try {
                if (Integer.parseInt((String) values.get("trainer_threads")) < 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw outOfRange("trainer_threads", "must be auto or an integer >= 1");
            }
        }
        oneOf("model", "seed", "history", "sequence");
        oneOf("history_pooling", "mean", "recency");
        oneOf("negatives", "uniform", "in_batch", "mixed", "full");
        positive("history_length");
        positive("frequency_buckets");
        if (integer("frequency_hashes") < 1 || integer("frequency_hashes") > 8) {
            throw outOfRange("frequency_hashes", "must be in [1, 8]");
        }
        if (!(frequencyAlpha() > 0) || frequencyAlpha() > 1) {
            throw outOfRange("frequency_alpha", "must be in (0, 1]");
        }
        if (!(recencyDecay() > 0) || recencyDecay() > 1) {
            throw outOfRange("recency_decay", "must be in (0, 1]");
        }
        oneOf("embedding_optimizer", "dense", "lazy_adamw", "rowwise_adagrad");
        if (!(embeddingLr() >= 0) || Double.isInfinite(embeddingLr())) {
            throw outOfRange("embedding_lr", "must be >= 0 (0: the same as lr)");
        }
        positiveNumber("adagrad_eps");
        if (!(adagradInitialAccumulator() >= 0) || Double.isInfinite(adagradInitialAccumulator())) {
            throw outOfRange("adagrad_initial_accumulator", "must be >= 0");
        }
        positive("sequence_blocks");
        positive("sequence_heads");
        oneOf("sequence_training", "every_position", "last_position");
        if (integer("sequence_windows_per_user") < 0) {
            throw outOfRange("sequence_windows_per_user", "must be >= 0 (0: every window)");
        }
        oneOf("item_tower_mlp", "auto", "true", "false");
        positive("shuffle_buffer");
        positive("readers");
        positive("read_ahead");
        if (sequenceTower() && dModel() % sequenceHeads() != 0) {
            throw outOfRange("sequence_heads", "must divide d_model (" + dModel() + ")");
        }
        if (sequenceTower() && negatives().equals("uniform")) {
            throw outOfRange("negatives", "must be full, in_batch or mixed with model: sequence (every position is "
                    + "trained against shared candidates; full: a softmax over the whole catalog, best where it fits)");
        }
        if (!sequenceTower() && !itemTowerMlp()) {
            throw outOfRange("item_tower_mlp", "can be false only with model: sequence");
        }
        if (negatives().equals("full") && sparseEmbeddings()) {
            throw outOfRange("embedding_optimizer", "must be dense with negatives: full (a softmax over the whole "
                    + "catalog touches every item row in every step)");
        }
    }

    private void oneOf(String key, String... allowed) {
        if (!java.util.Arrays.asList(allowed).contains(values.get(key))) {
            throw outOfRange(key, "must be one of " + String.join(", ", allowed));
        }
    }

    private void positive(String key) {
        if (integer(key) <= 0) {
            throw outOfRange(key, "must be > 0");
        }
    }

    private void positiveNumber(String key) {
        double v = number(key);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw outOfRange(key, "must be > 0");
        }
    }

    private IllegalArgumentException outOfRange(String key, String rule) {
        return new IllegalArgumentException(
                "configuration key '" + key + "' " + rule + ", got " + values.get(key));
    }

    private int integer(String key) {
        return (Integer) values.get(key);
    }

    private double number(String key) {
        return (Double) values.get(key);
    }

    public int dModel() { return integer("d_model"); }
    public int batchSize() { return integer("batch_size"); }
    public int accumSteps() { return integer("accum_steps"); }
    public int epochs() { return integer("epochs"); }
    public int patience() { return integer("patience"); }
    public double lr() { return number("lr"); }
    public double weightDecay() { return number("weight_decay"); }
    public double dropout() { return number("dropout"); }
    public int evalTopK() { return integer("eval_topk"); }
    public long seed() { return integer("seed"); }
    public int kNeg() { return integer("k_neg"); }
    public double fixedLogitScale() { return number("fixed_logit_scale"); }
    public double plateauFactor() { return number("plateau_factor"); }
    public int plateauPatience() { return integer("plateau_patience"); }
    public String device() { return (String) values.get("device"); }
    public int evalBlockSize() { return integer("eval_block_size"); }
    /** Epochs between validations; patience and plateau_patience count validations, not epochs. */
    public int evalEvery() { return integer("eval_every"); }
    /** Whether the epoch numbered {@code epoch} (from 1) ends with a validation: every eval_every-th and the last. */
    public boolean evaluatesAfter(int epoch) { return epoch % evalEvery() == 0 || epoch >= epochs(); }
    /** plateau: ReduceLROnPlateau on the validation metric (the notebook's); constant: lr throughout (SASRec's). */
    public boolean plateauSchedule() { return values.get("lr_schedule").equals("plateau"); }
    /** The second-moment decay of AdamW and lazy_adamw (torch's default 0.999; SASRec's code uses 0.98). */
    public double adamBeta2() { return number("adam_beta2"); }
    /** libtorch intra-op threads of the trainer; 0 for {@code auto} (see {@link TrainerThreads}). */
    public int trainerThreads() {
        String v = (String) values.get("trainer_threads");
        return v.equals("auto") ? 0 : Integer.parseInt(v);
    }
    /** seed: the notebook's user tower over the user id; history: over the user's recent items too. */
    public String model() { return (String) values.get("model"); }
    public boolean historyTower() { return model().equals("history"); }
    /** sequence: a causal self-attention encoder over the user's recent items (SequenceEncoder). */
    public boolean sequenceTower() { return model().equals("sequence"); }
    /** Whether the user tower reads the user-id embedding: always in seed mode; with model: history, when set. */
    public boolean userIdEmbedding() {
        return !sequenceTower() && (!historyTower() || (Boolean) values.get("user_id_embedding"));
    }
    /**
     * Most recent history items the user tower reads: the history tower's pooling window or the sequence tower's
     * max length (0 in seed mode: no history is carried).
     */
    public int historyLength() { return historyTower() || sequenceTower() ? integer("history_length") : 0; }
    public int sequenceBlocks() { return integer("sequence_blocks"); }
    /**
     * Every-position training: how many of each user's latest windows an epoch trains (0: all, so every training
     * position once; 1: the latest history_length positions, as SASRec's reference implementation).
     */
    public int sequenceWindowsPerUser() { return integer("sequence_windows_per_user"); }
    public int sequenceHeads() { return integer("sequence_heads"); }
    /**
     * Training rows the compact layout's reader holds to shuffle (a part with at most this many rows is read in one
     * uniform random permutation); the notebook's layout is always one exact permutation per file.
     */
    public int shuffleBuffer() { return integer("shuffle_buffer"); }
    /**
     * Parallel readers of the compact layout's parts (at most one a part; the notebook's file has one). An epoch's
     * order is a function of the seed and this count, never of the job's parallelism, so it is a training setting.
     */
    public int readers() { return integer("readers"); }
    /**
     * With parallel readers: epoch positions a reader may emit beyond the trainer's progress, so the trainer's reorder
     * buffer holds at most this many examples however unevenly the readers run.
     */
    public int readAhead() { return integer("read_ahead"); }
    /**
     * Whether {@code train} trains a sequence tower at every position of each row's window (one causal pass
     * predicts every item of the history and the positive) rather than at the last position only.
     */
    public boolean everyPosition() { return sequenceTower() && values.get("sequence_training").equals("every_position"); }
    /**
     * Whether item vectors go through the item tower's MLP and L2 norm (scores: cosine times the logit scale); false
     * only with model: sequence, where {@code auto} means false: items are their embedding rows and scores plain dot
     * products, as SASRec.
     */
    public boolean itemTowerMlp() {
        String v = (String) values.get("item_tower_mlp");
        return v.equals("auto") ? !sequenceTower() : v.equals("true");
    }
    public boolean recencyPooling() { return values.get("history_pooling").equals("recency"); }
    public double recencyDecay() { return number("recency_decay"); }
    /**
     * uniform (the notebook's k_neg per row), in_batch (the batch's positives), mixed (both, shared) or full (a
     * softmax over the whole catalog).
     */
    public String negatives() { return (String) values.get("negatives"); }
    public boolean logQCorrection() { return (Boolean) values.get("logq_correction"); }
    public int frequencyBuckets() { return integer("frequency_buckets"); }
    public int frequencyHashes() { return integer("frequency_hashes"); }
    public double frequencyAlpha() { return number("frequency_alpha"); }
    /** Whether the early-stopping and schedule metric ranks without the user's seen items. */
    public boolean excludeHistory() { return (Boolean) values.get("exclude_history"); }
    /** dense (AdamW over the whole tables, the notebook), lazy_adamw or rowwise_adagrad (touched rows only). */
    public String embeddingOptimizer() { return (String) values.get("embedding_optimizer"); }
    /** Whether the embedding tables get sparse, row-wise updates instead of the dense AdamW step. */
    public boolean sparseEmbeddings() { return !embeddingOptimizer().equals("dense"); }
    /** The sparse optimizers' learning rate before any schedule; 0 means {@link #lr()}. */
    public double embeddingLr() { return number("embedding_lr"); }
    public double adagradEps() { return number("adagrad_eps"); }
    public double adagradInitialAccumulator() { return number("adagrad_initial_accumulator"); }

    /** All keys and values, in declaration order (for manifests and results files). */
    public Map<String, Object> asMap() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TwoTowerConfig && ((TwoTowerConfig) o).values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
