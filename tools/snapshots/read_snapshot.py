#!/usr/bin/env python3
"""Reads a twotower embedding snapshot (format version 1) the way docs/snapshot-format.md says a reader must.

    read_snapshot.py RUN_DIR         the snapshot LATEST names in RUN_DIR (<output>/snapshots/<run-id>)
    read_snapshot.py SNAPSHOT_DIR    one snapshot folder (<output>/snapshots/<run-id>/<sequence>)
    read_snapshot.py DIR HISTORIES   also recompute user vectors with the user tower (model: history or
                                     sequence) from HISTORIES, a JSON object {"<user_idx>": [item_idx, ...
                                     oldest first]}, and report the largest difference to user_embeddings.npy
    read_snapshot.py DIR --recommend (--user-idx U | --history-idx I,J,...) [--k 10] [--exclude-idx I,J,...]
                                     the top-K items by score (the dot product: the cosine where the vectors are
                                     L2-normalised) for row U of user_embeddings.npy or for the user vector of a
                                     history (dense item indices, oldest first; model: history or sequence), with
                                     the excluded items left out: what `twotower-job.jar recommend` prints, in
                                     dense indices (the id maps are Parquet, which numpy does not read)

RUN_DIR is a local folder (download an s3:// run first, e.g. `aws s3 cp --recursive`). Every file is checked
against the manifest's size and SHA-256 before numpy loads it. Prints a JSON summary. Needs only numpy.
"""
import hashlib
import json
import os
import sys

import numpy as np

FORMAT_VERSION = 1


def snapshot_folder(path):
    """The folder LATEST names when path is a run folder, else path itself."""
    latest = os.path.join(path, "LATEST")
    if os.path.isfile(latest):
        with open(latest, encoding="utf-8") as f:
            return os.path.join(path, f.read().strip())
    return path


def load_snapshot(path):
    """(manifest, user_embeddings, item_embeddings) of a verified snapshot; ValueError if it does not verify."""
    folder = snapshot_folder(path)
    manifest_path = os.path.join(folder, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise ValueError(f"{folder}: no manifest.json (incomplete snapshot)")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder}: format_version {manifest.get('format_version')}, expected {FORMAT_VERSION}")
    for entry in manifest["files"]:
        file_path = os.path.join(folder, entry["name"])
        with open(file_path, "rb") as f:
            data = f.read()
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            # A retention pass or a newer publication may have replaced it: read LATEST again.
            raise ValueError(f"{file_path}: size or SHA-256 differs from the manifest")
    users = np.load(os.path.join(folder, "user_embeddings.npy"), allow_pickle=False)
    items = np.load(os.path.join(folder, "item_embeddings.npy"), allow_pickle=False)
    expected_users = (manifest["num_users"], manifest["dimension"])
    expected_items = (manifest["num_items"], manifest["dimension"])
    if users.shape != expected_users or items.shape != expected_items:
        raise ValueError(f"{folder}: shapes {users.shape} {items.shape}, manifest {expected_users} {expected_items}")
    return manifest, users, items


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def load_user_tower(folder, manifest):
    """The user tower's weights (user_tower.npz) and settings (manifest["user_tower"]), or None (the seed model)."""
    spec = manifest.get("user_tower")
    if spec is None:
        return None
    return spec, dict(np.load(os.path.join(folder, spec["file"]), allow_pickle=False))


def user_vector(tower, history, user_idx=None):
    """A user's vector from their items (item indices, oldest first), by manifest["user_tower"]["kind"]."""
    kind = tower[0].get("kind", "history")
    if kind == "sequence":
        return sequence_user_vector(tower, history)
    if kind != "history":
        raise ValueError(f"user_tower.kind {kind!r} is not a tower this reader knows (history, sequence)")
    return history_user_vector(tower, history, user_idx)


def history_user_vector(tower, history, user_idx=None):
    """The history tower's user vector from a user's items (item indices, oldest first): what the trainer computes.

    Works for users the snapshot never saw (cold start) and for histories newer than the snapshot. The
    pooled input is the mean (or recency-weighted mean, weight decay**age, age 0 = latest) of the item
    embedding rows of the last history_length items; user_embedding[user_idx] is added when the tower
    reads user ids. Then twice Linear, LayerNorm, ReLU, and L2 normalisation (float32 throughout).
    """
    spec, w = tower
    items = list(history)[-spec["history_length"]:]
    x = np.zeros(w["item_embedding"].shape[1], dtype=np.float32)
    if items:
        if spec["pooling"] == "recency":
            ages = np.arange(len(items) - 1, -1, -1)
            weights = np.power(spec["recency_decay"], ages)
        else:
            weights = np.ones(len(items))
        weights = (weights / weights.sum()).astype(np.float32)
        x = (w["item_embedding"][items] * weights[:, None]).sum(axis=0)
    if "user_embedding" in w and user_idx is not None:
        x = x + w["user_embedding"][user_idx]
    for layer in range(2):
        x = x @ w[f"linear{layer}_weight"].T + w[f"linear{layer}_bias"]
        x = layer_norm(x, w[f"norm{layer}_weight"], w[f"norm{layer}_bias"], spec["layer_norm_eps"])
        x = np.maximum(x, 0)
    return x / max(np.linalg.norm(x), 1e-12)


def sequence_user_vector(tower, history):
    """The sequence tower's user vector (SASRec's causal self-attention blocks; tools/golden/make_sequence_golden.py).

    Padded slots are masked as keys, so the last L items are read unpadded: m slots whose positions end at L - 1
    (the latest item's). Eval mode (no dropout), float32 throughout. No history: the zero vector.
    """
    spec, w = tower
    length, heads, eps = spec["history_length"], spec["heads"], spec["layer_norm_eps"]
    items = list(history)[-length:]
    m, d = len(items), w["item_embedding"].shape[1]
    if m == 0:
        return np.zeros(d, dtype=np.float32)
    x = w["item_embedding"][items] * np.float32(spec["input_scale"]) + w["position_embedding"][length - m:]
    hd = d // heads
    future = np.triu(np.ones((m, m), dtype=bool), k=1)  # slot i attends to slots j <= i only
    for b in range(spec["blocks"]):
        p = lambda name: w[f"block{b}_{name}"]
        q = layer_norm(x, p("attn_norm_weight"), p("attn_norm_bias"), eps)
        wi, bi = p("attn_in_weight"), p("attn_in_bias")  # rows [0, d) query, [d, 2d) key, [2d, 3d) value
        qh, kh, vh = (t.reshape(m, heads, hd).transpose(1, 0, 2) for t in (
            q @ wi[:d].T + bi[:d], x @ wi[d:2 * d].T + bi[d:2 * d], x @ wi[2 * d:].T + bi[2 * d:]))
        scores = np.where(future, -np.inf, qh @ kh.transpose(0, 2, 1) / np.float32(np.sqrt(hd)))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        a = (scores / scores.sum(axis=-1, keepdims=True)) @ vh  # (heads, m, hd)
        a = a.transpose(1, 0, 2).reshape(m, d) @ p("attn_out_weight").T + p("attn_out_bias")
        x = layer_norm(q + a, p("ffn_norm_weight"), p("ffn_norm_bias"), eps)
        h = np.maximum(x @ p("ffn_in_weight").T + p("ffn_in_bias"), 0)
        x = x + h @ p("ffn_out_weight").T + p("ffn_out_bias")
    u = layer_norm(x, w["last_norm_weight"], w["last_norm_bias"], eps)[-1].astype(np.float32)
    if spec.get("normalize_user_vector"):
        u = u / max(np.linalg.norm(u), 1e-12)
    return u


def indices(text):
    return [int(i) for i in text.split(",") if i.strip()] if text else []


def recommend(argv):
    """JSON {"items": [dense indices, best first], "scores": [dot products]}; ties rank the lower index first."""
    import argparse
    parser = argparse.ArgumentParser(prog="read_snapshot.py DIR --recommend")
    parser.add_argument("dir")
    parser.add_argument("--recommend", action="store_true")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user-idx", type=int)
    who.add_argument("--history-idx")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--exclude-idx", default="")
    args = parser.parse_args(argv[1:])
    manifest, users, items = load_snapshot(args.dir)
    if args.user_idx is not None:
        vector = users[args.user_idx]
    else:
        tower = load_user_tower(snapshot_folder(args.dir), manifest)
        if tower is None:
            raise ValueError(f"{args.dir}: no user tower that reads histories (no user_tower in the manifest)")
        vector = user_vector(tower, indices(args.history_idx))
    # In float64 from the float32 vectors, as the Java side sums.
    scores = items.astype(np.float64) @ vector.astype(np.float64)
    excluded = indices(args.exclude_idx)
    scores[excluded] = -np.inf
    order = [int(i) for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])][:args.k]
    print(json.dumps({"items": order, "scores": [float(scores[i]) for i in order],
                      "user_vector_head": [float(v) for v in vector[:4]]}))
    return 0


def main(argv):
    if "--recommend" in argv:
        return recommend(argv)
    if len(argv) == 3:
        manifest, users, _ = load_snapshot(argv[1])
        tower = load_user_tower(snapshot_folder(argv[1]), manifest)
        if tower is None:
            raise ValueError(f"{argv[1]}: no user tower that reads histories (no user_tower in the manifest)")
        with open(argv[2], encoding="utf-8") as f:
            histories = json.load(f)
        error = 0.0
        for user, history in histories.items():
            vector = user_vector(tower, history, int(user))
            error = max(error, float(np.abs(vector - users[int(user)]).max()))
        print(json.dumps({"users_checked": len(histories), "history_max_abs_error": error,
                          "input": tower[0]["input"], "arrays": sorted(tower[1].keys())}))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    manifest, users, items = load_snapshot(argv[1])
    # Scores of user 0 against every item, in float64: cosines where the vectors are L2-normalised; plain dot
    # products for the sequence tower with embedding-row item vectors, whose vectors are not normalised.
    scores = items.astype(np.float64) @ users[0].astype(np.float64)
    normalised = (manifest.get("user_tower") or {}).get("item_vectors", "tower") != "embedding"
    summary = {
        "folder": snapshot_folder(argv[1]),
        "sequence": manifest["sequence"],
        "epoch": manifest.get("epoch"),
        "user_shape": list(users.shape),
        "item_shape": list(items.shape),
        "dtype": str(users.dtype),
        "user_row0": [float(v) for v in users[0, :4]],
        "item_last_row": [float(v) for v in items[-1, -4:]],
        "max_norm_error": float(max(np.abs(np.linalg.norm(users, axis=1) - 1).max(),
                                    np.abs(np.linalg.norm(items, axis=1) - 1).max())) if normalised else None,
        "user0_top5": [int(i) for i in np.argsort(-scores, kind="stable")[:5]],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
