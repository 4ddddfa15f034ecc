package io.twotower.model.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.twotower.model.SplitMix64;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;

import java.util.Map;

/** Times the training step alone on MovieLens-sized random batches. */
public final class StepProfile {
    public static void main(String[] args) {
        int users = 610, items = 9724, batches = Integer.parseInt(args.length > 0 ? args[0] : "20");
        TwoTowerConfig config = TwoTowerConfig.defaults();
        if (args.length > 1) {
            config = config.withValues(Map.of("dropout", args[1]), "args");
        }

        try (NDManager root = NDManager.newBaseManager()) {
            System.out.println("threads=" + JniUtils.getNumThreads() + " interop=" + JniUtils.getNumInteropThreads());
            TwoTowerTrainer trainer = TwoTowerTrainer.create(config, TwoTowerModel.initialise(root.newSubManager(), config, users, items));
            UniformNegativeSampler sampler = new UniformNegativeSampler(items);
            SplitMix64 rng = new SplitMix64(1);
            TrainingBatch batch = new TrainingBatch(512, 50);
            int[] neg = new int[50];
            for (int b = 0; b < batches + 3; b++) {
                if (b == 3) {
                    System.gc();
                }
                long t0 = System.nanoTime();
                batch.clear();
                for (int i = 0; i < 512; i++) {
                    int pos = rng.nextInt(items);
                    sampler.sample(pos, new int[] {1, 2, 3}, 3, 50, rng, neg, 0);
                    batch.add(rng.nextInt(users), pos, neg, 0);
                }
                long t1 = System.nanoTime();
                trainer.trainBatch(batch);
                long t2 = System.nanoTime();
                if (b >= 3) {
                    System.out.printf("sample %.1f ms, step %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
                }
            }
            trainer.close();
        }
    }
}
