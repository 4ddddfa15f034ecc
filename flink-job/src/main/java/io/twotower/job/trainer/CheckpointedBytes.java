package io.twotower.job.trainer;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.StateInitializationContext;

import java.util.List;

/**
 * A trainer operator's whole state as one versioned byte array in operator list state. Registered in
 * {@code initializeState}, which runs before {@code open()}: the bytes are kept until the operator has chosen
 * its DJL engine and device there, then decoded.
 */
public final class CheckpointedBytes {
    private final ListState<byte[]> state;
    private byte[] restored;

    private CheckpointedBytes(ListState<byte[]> state, byte[] restored) {
        this.state = state;
        this.restored = restored;
    }

    /** Registers the state {@code name} and keeps what a restore brought, if anything. */
    public static CheckpointedBytes register(StateInitializationContext context, String name) throws Exception {
        ListState<byte[]> state = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>(name, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        byte[] restored = null;
        for (byte[] bytes : state.get()) {
            restored = bytes;
        }
        return new CheckpointedBytes(state, restored);
    }

    /** The restored bytes (null on a fresh start), handed out once. */
    public byte[] takeRestored() {
        byte[] bytes = restored;
        restored = null;
        return bytes;
    }

    public void update(byte[] bytes) throws Exception {
        state.update(List.of(bytes));
    }
}
