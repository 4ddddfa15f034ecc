package io.twotower.job;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SeenItems;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.recommend.HistoryUserTower;
import io.twotower.job.recommend.ItemNames;
import io.twotower.job.recommend.RecommendSnapshot;
import io.twotower.job.recommend.RecommendationTable;
import io.twotower.job.recommend.SequenceUserTower;
import io.twotower.job.recommend.TopItems;
import io.twotower.job.recommend.UserVectors;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code recommend --snapshot <uri> (--user <id> | --history <ids>) [--k 10] [--exclude-seen [--seen <dir>]]
 * [--item-names <csv> [--title-column title]]}: the top-K items of a snapshot for a known user (their row of
 * user_embeddings.npy) or, with a history or sequence tower's snapshot, for any history (the user tower in plain
 * Java).
 * Reads any Flink file system, verifies the snapshot against its manifest first, and streams the item matrix
 * once, keeping K items.
 */
final class RecommendCommand {
    private static final Logger LOG = LoggerFactory.getLogger(RecommendCommand.class);
    static final Set<String> FLAGS = Set.of("exclude-seen");
    private static final int ATTEMPTS = 3;

    private RecommendCommand() {}

    /** What was asked for, checked before anything is read. */
    private static final class Request {
        String snapshot;
        String user;
        List<String> history;
        int k;
        boolean excludeSeen;
        String seen;
        String itemNames;
        String titleColumn;
    }

    /** What is printed, kept until the snapshot is known to be unchanged. */
    private static final class Result {
        final List<String> notes = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        RecommendationTable table;
    }

    static int run(CliArgs cli) throws Exception {
        Request request = parse(cli);
        FlinkEnvironments.initializeFileSystems(cli.flinkOptions());
        for (int attempt = 1; ; attempt++) {
            RecommendSnapshot snapshot = RecommendSnapshot.open(new Path(request.snapshot), ATTEMPTS);
            Result result;
            try {
                result = recommend(snapshot, request);
            } catch (IOException e) {
                if (snapshot.unchanged()) {
                    throw e;
                }
                // A file deleted or replaced under the reader: the snapshot changed, not the input's fault.
                LOG.info("Reading {} failed while it changed", snapshot.folder(), e);
                result = null;
            }
            if (result != null && snapshot.unchanged()) {
                result.warnings.forEach(w -> System.err.println("warning: " + w));
                result.notes.forEach(n -> System.out.println("# " + n));
                result.table.print(System.out);
                return 0;
            }
            if (!snapshot.viaLatest() || attempt == ATTEMPTS) {
                throw new IOException(snapshot.folder() + " changed while it was read (a running job published or"
                        + " deleted snapshots); run again");
            }
            LOG.info("{} changed while it was read; reading LATEST again", snapshot.folder());
        }
    }

    private static Request parse(CliArgs cli) {
        cli.rejectUnknown(Set.of("snapshot", "user", "history", "k", "exclude-seen", "seen", "item-names",
                "title-column"), "recommend");
        if (cli.positional().size() != 1) {
            throw new IllegalArgumentException("recommend takes no positional arguments, got "
                    + cli.positional().subList(1, cli.positional().size()));
        }
        Request r = new Request();
        r.snapshot = cli.required("snapshot");
        r.user = cli.get("user", null);
        String history = cli.get("history", null);
        if ((r.user == null) == (history == null)) {
            throw new IllegalArgumentException(
                    "give one of --user <raw user id> or --history <raw item ids, comma-separated, oldest first>");
        }
        if (r.user != null && r.user.isBlank()) {
            throw new IllegalArgumentException("--user needs a raw user id");
        }
        if (history != null) {
            r.history = new ArrayList<>();
            for (String id : history.split(",")) {
                if (!id.isBlank()) {
                    r.history.add(id.trim());
                }
            }
            if (r.history.isEmpty()) {
                throw new IllegalArgumentException("--history needs at least one raw item id (comma-separated)");
            }
        }
        r.k = cli.getInt("k", 10);
        if (r.k < 1) {
            throw new IllegalArgumentException("--k must be at least 1, got " + r.k);
        }
        r.excludeSeen = cli.flag("exclude-seen");
        r.seen = cli.get("seen", null);
        if (r.seen != null && r.history != null) {
            throw new IllegalArgumentException("--seen reads a --user's items; with --history, the history is what was seen");
        }
        if (r.seen != null && !r.excludeSeen) {
            throw new IllegalArgumentException("--seen is read only with --exclude-seen");
        }
        if (r.excludeSeen && r.user != null && r.seen == null) {
            throw new IllegalArgumentException("--exclude-seen with --user needs --seen <prepared data folder> (the"
                    + " `prepare` output the model was trained on): a snapshot holds vectors, not users' items");
        }
        r.itemNames = cli.get("item-names", null);
        r.titleColumn = cli.get("title-column", ItemNames.DEFAULT_TITLE_COLUMN);
        if (cli.get("title-column", null) != null && r.itemNames == null) {
            throw new IllegalArgumentException("--title-column names a column of --item-names, which is missing");
        }
        return r;
    }

    private static Result recommend(RecommendSnapshot snapshot, Request request) throws IOException {
        Result result = new Result();
        result.notes.add("snapshot " + snapshot.describe());
        BitSet excluded = new BitSet(snapshot.numItems());
        float[] vector;
        if (request.user != null) {
            int user = userIndex(snapshot, request.user);
            vector = UserVectors.row(snapshot, user);
            String note = "user '" + request.user + "' (row " + user + " of user_embeddings.npy"
                    + (snapshot.userTower() == null ? ")" : ": the vector of their latest history the trainer knew)");
            if (request.excludeSeen) {
                Set<String> seen = SeenItems.ofUser(new Path(request.seen), request.user);
                Map<String, Integer> known = itemIndices(snapshot, seen);
                known.values().forEach(excluded::set);
                note += "; " + seen.size() + " seen items in " + request.seen + " excluded";
            }
            result.notes.add(note);
        } else {
            if (snapshot.userTower() == null) {
                throw new IOException("--history needs a snapshot whose user tower reads histories (model: history or"
                        + " sequence); "
                        + snapshot.folder() + " is of the seed model, whose user tower reads user ids, not"
                        + " histories: use --user <raw user id>");
            }
            Map<String, Integer> known = itemIndices(snapshot, request.history);
            List<Integer> items = new ArrayList<>();
            for (String id : request.history) {
                Integer index = known.get(id);
                if (index == null) {
                    result.warnings.add("item '" + id + "' of --history is not in the snapshot's catalog ("
                            + snapshot.itemMap() + "): skipped");
                } else {
                    items.add(index);
                }
            }
            if (items.isEmpty()) {
                throw new IOException("none of the --history items " + request.history + " is in the snapshot's catalog ("
                        + snapshot.itemMap() + ")");
            }
            int[] history = items.stream().mapToInt(Integer::intValue).toArray();
            vector = UserVectors.ofHistory(snapshot, history);
            if (HistoryUserTower.readsUserIds(snapshot.userTower())) {
                result.warnings.add("this tower also adds a user-id embedding; a history alone gets none (as a user"
                        + " the model never saw)");
            }
            int window = snapshot.userTower().path("history_length").asInt();
            String read = SequenceUserTower.isSequence(snapshot.userTower()) ? " read)" : " pooled)";
            String note = "a history of " + history.length + " items"
                    + (history.length > window ? " (the last " + window + read : "");
            if (request.excludeSeen) {
                items.forEach(excluded::set);
                note += "; those items excluded";
            }
            result.notes.add(note);
        }
        List<TopItems.Scored> top = TopItems.best(snapshot.itemEmbeddings(), snapshot.numItems(), vector, request.k,
                excluded);
        List<Integer> indices = new ArrayList<>();
        top.forEach(s -> indices.add(s.index));
        Map<Integer, String> ids = IdMapFile.idsOf(snapshot.itemMap(), DatasetLayout.ITEM_ID_COLUMN,
                DatasetLayout.ITEM_IDX_COLUMN, indices);
        Map<String, String> titles = request.itemNames == null ? Map.of()
                : ItemNames.titlesOf(new Path(request.itemNames), request.titleColumn, ids.values());
        result.table = new RecommendationTable(request.itemNames != null);
        for (TopItems.Scored s : top) {
            String id = ids.get(s.index);
            if (id == null) {
                throw new IOException(snapshot.itemMap() + ": has no row for item index " + s.index);
            }
            result.table.add(id, s.score, titles.get(id));
        }
        return result;
    }

    private static int userIndex(RecommendSnapshot snapshot, String rawUserId) throws IOException {
        Integer index = IdMapFile.indicesOf(snapshot.userMap(), DatasetLayout.USER_ID_COLUMN,
                DatasetLayout.USER_IDX_COLUMN, List.of(rawUserId)).get(rawUserId);
        if (index == null) {
            throw new IOException("user '" + rawUserId + "' is not in the snapshot (" + snapshot.userMap() + ")");
        }
        if (index >= snapshot.numUsers()) {
            throw new IOException(snapshot.userMap() + ": user '" + rawUserId + "' has row " + index
                    + ", but the manifest says num_users " + snapshot.numUsers());
        }
        return index;
    }

    private static Map<String, Integer> itemIndices(RecommendSnapshot snapshot, Collection<String> rawIds)
            throws IOException {
        Map<String, Integer> known = IdMapFile.indicesOf(snapshot.itemMap(), DatasetLayout.ITEM_ID_COLUMN,
                DatasetLayout.ITEM_IDX_COLUMN, rawIds);
        for (Map.Entry<String, Integer> e : known.entrySet()) {
            if (e.getValue() >= snapshot.numItems()) {
                throw new IOException(snapshot.itemMap() + ": item '" + e.getKey() + "' has row " + e.getValue()
                        + ", but the manifest says num_items " + snapshot.numItems());
            }
        }
        return known;
    }
}
