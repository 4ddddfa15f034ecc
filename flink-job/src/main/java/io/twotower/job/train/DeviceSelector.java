package io.twotower.job.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

import java.util.Optional;
import java.util.Set;

/**
 * Chooses the training device from {@code device=cpu|gpu|auto}: the GPU that Flink's external-resource
 * framework assigned to this slot when there is one, else any GPU the engine sees, else the CPU.
 */
public final class DeviceSelector {
    private DeviceSelector() {}

    public static Device select(String setting, Set<ExternalResourceInfo> flinkGpus) {
        if (setting.equals("cpu")) {
            return Device.cpu();
        }
        Integer assigned = null;
        for (ExternalResourceInfo info : flinkGpus) {
            Optional<String> index = info.getProperty("index");
            if (index.isPresent()) {
                assigned = Integer.parseInt(index.get().trim());
                break;
            }
        }
        int visible = Engine.getInstance().getGpuCount();
        if (assigned != null && assigned < visible) {
            return Device.gpu(assigned);
        }
        if (visible > 0) {
            return Device.gpu(0);
        }
        if (setting.equals("gpu")) {
            throw new IllegalStateException("configuration key 'device' is gpu, but this TaskManager has no usable GPU"
                    + " (Flink assigned " + flinkGpus.size() + ", the PyTorch engine sees " + visible
                    + "); use device=auto or device=cpu, or run the trainer on a GPU TaskManager");
        }
        return Device.cpu();
    }
}
