package io.twotower.job.prepare;

/**
 * A row of {@code prepare}'s two sort-merge joins on a raw id (a Flink POJO). Sorted by (key, kind), a key's
 * {@link #INDEX} row comes first and gives its dense index to the {@link #EVENT} rows after it, so neither join
 * holds an id map in memory:
 * <ul>
 *   <li>on the raw item id: the item's index row, then its interactions ({@link #user}, time, input position);
 *   <li>on the raw user id: the user's index row, then its interactions with their item's dense index in
 *       {@link #index} and the {@link TieBreak}'s sort fields.
 * </ul>
 */
public class IdJoinRow {
    public static final int INDEX = 0;
    public static final int EVENT = 1;

    /** The raw id joined on. */
    public String key;
    /** {@link #INDEX} or {@link #EVENT}. */
    public int kind;
    /** An index row's dense index of {@link #key}; in the user join an event's dense item index. */
    public int index;
    /** An event's raw user id (the item join). */
    public String user;
    public long timestamp;
    /** The tie-break's two sort fields ({@link TieBreak#primary}, {@link TieBreak#secondary}: the user join sorts by them). */
    public long tie;
    public long tie2;
    /** The input position: file index, line or row. */
    public int file;
    public long row;

    public IdJoinRow() {}

    static IdJoinRow index(String key, int index) {
        IdJoinRow r = new IdJoinRow();
        r.key = key;
        r.kind = INDEX;
        r.index = index;
        return r;
    }

    static IdJoinRow itemEvent(Interaction i) {
        IdJoinRow r = new IdJoinRow();
        r.key = i.item;
        r.kind = EVENT;
        r.user = i.user;
        r.timestamp = i.timestamp;
        r.file = i.file;
        r.row = i.row;
        return r;
    }
}
