package io.twotower.connectors.source;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The enumerator's checkpoint: the last epoch handed out and whether reading has been stopped. */
public final class EpochEnumeratorState {
    /** -1 before the first epoch is assigned. */
    final int assignedEpoch;
    final boolean stopped;

    EpochEnumeratorState(int assignedEpoch, boolean stopped) {
        this.assignedEpoch = assignedEpoch;
        this.stopped = stopped;
    }

    /** Versioned bytes for the state. */
    public static final class Serializer implements SimpleVersionedSerializer<EpochEnumeratorState> {
        static final int VERSION = 1;

        @Override
        public int getVersion() {
            return VERSION;
        }

        @Override
        public byte[] serialize(EpochEnumeratorState state) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(state.assignedEpoch);
                out.writeBoolean(state.stopped);
            }
            return bytes.toByteArray();
        }

        @Override
        public EpochEnumeratorState deserialize(int version, byte[] serialized) throws IOException {
            if (version != VERSION) {
                throw new IOException("unsupported epoch enumerator state version " + version);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new EpochEnumeratorState(in.readInt(), in.readBoolean());
            }
        }
    }
}
