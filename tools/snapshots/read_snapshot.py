#!/usr/bin/env python3
"""Reads a twotower embedding snapshot (format version 1) the way docs/snapshot-format.md says a reader must.

    read_snapshot.py RUN_DIR         the snapshot LATEST names in RUN_DIR (<output>/snapshots/<run-id>)
    read_snapshot.py SNAPSHOT_DIR    one snapshot folder (<output>/snapshots/<run-id>/<sequence>)

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


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    manifest, users, items = load_snapshot(argv[1])
    # Cosine scores of user 0 against every item (the vectors are L2-normalised), in float64.
    scores = items.astype(np.float64) @ users[0].astype(np.float64)
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
                                    np.abs(np.linalg.norm(items, axis=1) - 1).max())),
        "user0_top5": [int(i) for i in np.argsort(-scores, kind="stable")[:5]],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
