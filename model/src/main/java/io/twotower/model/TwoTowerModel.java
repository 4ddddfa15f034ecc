package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The seed's Two-Tower model: a user tower and an item tower whose L2-normalised outputs are scored by
 * cosine times a fixed logit scale.
 */
public final class TwoTowerModel implements AutoCloseable {
    private final NDManager manager;
    private final Tower userTower;
    private final Tower itemTower;
    private final float logitScale;

    private TwoTowerModel(NDManager manager, Tower userTower, Tower itemTower, float logitScale) {
        this.manager = manager;
        this.userTower = userTower;
        this.itemTower = itemTower;
        this.logitScale = logitScale;
    }

    /** A new model initialised from {@code config.seed()}; the model owns {@code manager} from now on. */
    public static TwoTowerModel initialise(NDManager manager, TwoTowerConfig config, int numUsers, int numItems) {
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x70E7L));
        float dropout = (float) config.dropout();
        Tower user = Tower.initialise("user", manager, numUsers, config.dModel(), dropout, rng);
        Tower item = Tower.initialise("item", manager, numItems, config.dModel(), dropout, rng);
        return new TwoTowerModel(manager, user, item, (float) config.fixedLogitScale());
    }

    /** A model over existing parameters, user tower's 9 arrays then item tower's 9, in state_dict order. */
    public static TwoTowerModel of(NDManager manager, TwoTowerConfig config, NDList parameters) {
        NDArray[] user = new NDArray[9];
        NDArray[] item = new NDArray[9];
        for (int i = 0; i < 9; i++) {
            user[i] = parameters.get(i);
            item[i] = parameters.get(9 + i);
            user[i].attach(manager);
            item[i].attach(manager);
        }
        float dropout = (float) config.dropout();
        return new TwoTowerModel(
                manager, Tower.of("user", dropout, user), Tower.of("item", dropout, item),
                (float) config.fixedLogitScale());
    }

    /** Parameter names in {@link #parameters()} order, matching the notebook's state_dict. */
    public static String[] parameterNames() {
        String[] u = Tower.parameterNames("user");
        String[] i = Tower.parameterNames("item");
        String[] all = new String[u.length + i.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        return all;
    }

    /** All trainable arrays: the user tower's then the item tower's. */
    public NDArray[] parameters() {
        NDArray[] u = userTower.parameters();
        NDArray[] i = itemTower.parameters();
        NDArray[] all = new NDArray[u.length + i.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        return all;
    }

    public NDArray userVectors(NDArray userIds, boolean training) {
        return userTower.forward(userIds, training);
    }

    public NDArray itemVectors(NDArray itemIds, boolean training) {
        return itemTower.forward(itemIds, training);
    }

    public float logitScale() {
        return logitScale;
    }

    public int numUsers() {
        return userTower.rows();
    }

    public int numItems() {
        return itemTower.rows();
    }

    public int dModel() {
        return userTower.dModel();
    }

    public Tower userTower() {
        return userTower;
    }

    public Tower itemTower() {
        return itemTower;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
