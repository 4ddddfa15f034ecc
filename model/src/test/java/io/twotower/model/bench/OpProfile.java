package io.twotower.model.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

public final class OpProfile {
    public static void main(String[] args) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(9000, 256));
            NDArray w = m.randomNormal(new Shape(256, 256));
            NDArray big = m.randomNormal(new Shape(9724, 256));
            for (int r = 0; r < 5; r++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(w);
                c.getFloat(0, 0);
                long t1 = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    big.muli(1.0001f);
                }
                big.getFloat(0, 0);
                long t2 = System.nanoTime();
                NDArray s = big.sqrt();
                s.getFloat(0, 0);
                long t3 = System.nanoTime();
                System.out.printf("matmul %.1f ms (%.1f GFLOP/s), 10x muli %.1f ms, sqrt %.1f ms%n", (t1 - t0) / 1e6,
                        9000.0 * 256 * 256 * 2 / ((t1 - t0) / 1e9) / 1e9, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
                c.close();
                s.close();
            }
        }
    }
}
