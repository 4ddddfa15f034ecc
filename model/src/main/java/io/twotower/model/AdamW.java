package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * AdamW with decoupled weight decay, step for step as {@code torch.optim.AdamW} (no amsgrad). Unlike
 * DJL's Adam, its moments live in NDArrays it owns, so {@link #state()} can checkpoint them exactly.
 */
public final class AdamW {
    public static final double BETA1 = 0.9;
    /** torch.optim.AdamW's default second-moment decay; {@code adam_beta2} may set another. */
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final double weightDecay;
    private final double beta2;
    private final NDArray[] firstMoments;
    private final NDArray[] secondMoments;
    private double learningRate;
    private long step;

    private AdamW(double learningRate, double weightDecay, double beta2, NDArray[] first, NDArray[] second,
            long step) {
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.beta2 = beta2;
        this.firstMoments = first;
        this.secondMoments = second;
        this.step = step;
    }

    /** Fresh optimizer state for the given parameters (zero moments, step 0). */
    public static AdamW create(NDArray[] parameters, double learningRate, double weightDecay) {
        return create(parameters, learningRate, weightDecay, BETA2);
    }

    /** As {@link #create(NDArray[], double, double)} with second-moment decay {@code beta2}. */
    public static AdamW create(NDArray[] parameters, double learningRate, double weightDecay, double beta2) {
        NDArray[] m = new NDArray[parameters.length];
        NDArray[] v = new NDArray[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            m[i] = parameters[i].zerosLike();
            v[i] = parameters[i].zerosLike();
        }
        return new AdamW(learningRate, weightDecay, beta2, m, v, 0);
    }

    /** Restores the moments (first all m, then all v) and counters saved by {@link #state()}. */
    public static AdamW restore(NDManager manager, NDList moments, long step, double learningRate, double weightDecay,
            double beta2) {
        int n = moments.size() / 2;
        NDArray[] m = new NDArray[n];
        NDArray[] v = new NDArray[n];
        for (int i = 0; i < n; i++) {
            m[i] = moments.get(i);
            v[i] = moments.get(n + i);
            m[i].attach(manager);
            v[i].attach(manager);
            m[i] = NativeArrays.own(m[i]);
            v[i] = NativeArrays.own(v[i]);
        }
        return new AdamW(learningRate, weightDecay, beta2, m, v, step);
    }

    /**
     * One update of every parameter from {@code gradients[i]}; must run with grad mode off, as torch's
     * optimizers run under no_grad. A null gradient skips its parameter, as torch skips a parameter whose
     * .grad is None (one the forward pass never used: no update, no weight decay).
     */
    public void step(NDArray[] parameters, NDArray[] gradients) {
        step++;
        double biasCorrection1 = 1 - Math.pow(BETA1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = learningRate / biasCorrection1;
        for (int i = 0; i < parameters.length; i++) {
            NDArray p = parameters[i];
            NDArray g = gradients[i];
            if (g == null) {
                continue;
            }
            if (weightDecay != 0) {
                p.muli(1 - learningRate * weightDecay);
            }
            NDArray m = firstMoments[i];
            NDArray v = secondMoments[i];
            try (NDArray scaledGrad = g.mul(1 - BETA1);
                    NDArray gradSquared = g.square().muli(1 - beta2)) {
                m.muli(BETA1).addi(scaledGrad);
                v.muli(beta2).addi(gradSquared);
            }
            try (NDArray denom = v.sqrt().divi(biasCorrection2Sqrt).addi(EPS);
                    NDArray update = m.div(denom).muli(stepSize)) {
                p.subi(update);
            }
        }
    }

    /** The moments, first all m then all v, for a checkpoint. */
    public NDList moments() {
        NDList list = new NDList(firstMoments.length * 2);
        for (NDArray m : firstMoments) {
            list.add(m);
        }
        for (NDArray v : secondMoments) {
            list.add(v);
        }
        return list;
    }

    /** Extends moment i with zero rows, for an embedding table that grew. */
    public void growRows(int i, long rows) {
        firstMoments[i] = grow(firstMoments[i], rows);
        secondMoments[i] = grow(secondMoments[i], rows);
    }

    private static NDArray grow(NDArray moment, long rows) {
        long have = moment.getShape().get(0);
        if (rows <= have) {
            return moment;
        }
        NDManager manager = moment.getManager();
        try (NDArray zeros = manager.zeros(new ai.djl.ndarray.types.Shape(rows - have, moment.getShape().get(1)))) {
            NDArray grown = moment.concat(zeros, 0);
            grown.attach(manager);
            moment.close();
            return grown;
        }
    }

    public double learningRate() {
        return learningRate;
    }

    public void setLearningRate(double learningRate) {
        this.learningRate = learningRate;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public long stepCount() {
        return step;
    }
}
