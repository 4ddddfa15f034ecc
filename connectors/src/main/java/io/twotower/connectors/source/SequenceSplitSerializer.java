package io.twotower.connectors.source;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Versioned bytes for {@link SequenceSplit}, checkpointed with the readers. Version 2 added the split's
 * epoch base; a version-1 split reads with none (its reader numbers it from its own count). Version 3 holds a list
 * of files (the compact layout's parts read together); earlier versions' one file reads as a list of one. Version 4
 * adds every reader's rows of a merged split (parallel readers); earlier splits read as a single reader's.
 */
public final class SequenceSplitSerializer implements SimpleVersionedSerializer<SequenceSplit> {
    static final int VERSION = 4;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SequenceSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(split.epoch);
            out.writeInt(split.fileIndex);
            out.writeInt(split.paths.size());
            for (String path : split.paths) {
                out.writeUTF(path);
            }
            out.writeLong(split.offset);
            out.writeInt(split.subtask);
            out.writeLong(split.epochBase);
            if (split.readerRows == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(split.readerRows.length);
                for (long rows : split.readerRows) {
                    out.writeLong(rows);
                }
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public SequenceSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version < 1 || version > VERSION) {
            throw new IOException("unsupported sequence split version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int epoch = in.readInt();
            int fileIndex = in.readInt();
            java.util.List<String> paths = new java.util.ArrayList<>();
            if (version >= 3) {
                for (int i = in.readInt(); i > 0; i--) {
                    paths.add(in.readUTF());
                }
            } else {
                paths.add(in.readUTF());
            }
            long offset = in.readLong();
            int subtask = in.readInt();
            long epochBase = version >= 2 ? in.readLong() : -1;
            int readers = version >= 4 ? in.readInt() : -1;
            if (fileIndex < 0) {
                return SequenceSplit.endOfEpoch(epoch, subtask);
            }
            if (readers < 0) {
                return SequenceSplit.files(epoch, fileIndex, paths, offset, epochBase);
            }
            long[] readerRows = new long[readers];
            for (int r = 0; r < readers; r++) {
                readerRows[r] = in.readLong();
            }
            return SequenceSplit.merged(epoch, fileIndex, paths, offset, subtask, readerRows);
        }
    }
}
