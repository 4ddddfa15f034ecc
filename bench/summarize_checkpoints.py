#!/usr/bin/env python3
"""Summarises a bench/run-checkpoints.sh run: one row per completed checkpoint (from the job's REST statistics),
then the restore, the snapshot publications, the peak memory and the exactly-once check of the results."""
import json
import os
import re
import sys


def mib(n):
    return f"{n / 2**20:,.1f}"


def main(out):
    env = open(os.path.join(out, "env.txt")).read().strip().splitlines()
    print("# Checkpoint benchmark\n")
    for line in env:
        print(f"- {line}")
    checkpoints = {}
    path = os.path.join(out, "checkpoints.jsonl")
    if os.path.exists(path):
        for line in open(path):
            rec = json.loads(line)
            for c in rec["stats"].get("history", []):
                if c.get("status") == "COMPLETED":
                    checkpoints[(rec["run"], c["id"])] = c
    print("\n| run | checkpoint | added (checkpointed size) MiB | full state MiB | duration s |")
    print("|---:|---:|---:|---:|---:|")
    for (run, cid), c in sorted(checkpoints.items()):
        print(f"| {run} | {cid} | {mib(c['checkpointed_size'])} | {mib(c['state_size'])} | "
              f"{c['end_to_end_duration'] / 1000:.1f} |")
    print()
    for run in (0, 1):
        log = os.path.join(out, f"train-{run}.log")
        if not os.path.exists(log):
            continue
        text = open(log, errors="replace").read()
        for m in re.finditer(r"Read the trainer's checkpointed state in ([0-9.]+) s \(tables ([^)]*)\)", text):
            print(f"- run {run}: restore read the trainer's state in {m.group(1)} s (tables {m.group(2)})")
        for m in re.finditer(r"Published snapshot (\d+) \(epoch (\d+), (\d+) items x (\d+)\) in ([0-9.]+) s", text):
            print(f"- run {run}: published snapshot {m.group(1)} ({m.group(3)} items x {m.group(4)}) in {m.group(5)} s")
        for m in re.finditer(r"Epoch (\d+): Loss=([0-9.]+).*examples/s=([0-9.]+), examples=(\d+)", text):
            print(f"- run {run}: epoch {m.group(1)}: loss {m.group(2)}, {m.group(3)} examples/s, {m.group(4)} examples")
        t = os.path.join(out, f"time-{run}.txt")
        if os.path.exists(t):
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(t).read())
            if rss:
                print(f"- run {run}: peak RSS {int(rss.group(1)) / 2**20:.2f} GiB")
    results = os.path.join(out, "out", "twotower_results.json")
    if os.path.exists(results):
        r = json.load(open(results))
        print(f"- results: checkpoints {json.dumps(r.get('checkpoints'))}, restored_at_steps "
              f"{r.get('restored_at_steps')}, examples_per_epoch {r['training'].get('examples_per_epoch')}, "
              f"optimizer_steps {r.get('optimizer_steps')}")


if __name__ == "__main__":
    main(sys.argv[1])
