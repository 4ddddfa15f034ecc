package io.twotower.connectors.source;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Versioned bytes for {@link SequenceSplit}, checkpointed with the readers. Version 2 added the split's
 * epoch base; a version-1 split reads with none (its reader numbers it from its own count).
 */
public final class SequenceSplitSerializer implements SimpleVersionedSerializer<SequenceSplit> {
    static final int VERSION = 2;

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
            out.writeUTF(split.path);
            out.writeLong(split.offset);
            out.writeInt(split.subtask);
            out.writeLong(split.epochBase);
        }
        return bytes.toByteArray();
    }

    @Override
    public SequenceSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION && version != 1) {
            throw new IOException("unsupported sequence split version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int epoch = in.readInt();
            int fileIndex = in.readInt();
            String path = in.readUTF();
            long offset = in.readLong();
            int subtask = in.readInt();
            long epochBase = version >= 2 ? in.readLong() : -1;
            return fileIndex < 0 ? SequenceSplit.endOfEpoch(epoch, subtask)
                    : SequenceSplit.file(epoch, fileIndex, path, offset, epochBase);
        }
    }
}
