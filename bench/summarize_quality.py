#!/usr/bin/env python3
"""Tables of bench/run-quality.sh: summarize_quality.py DIR (prints Markdown)."""
import glob
import json
import os
import re
import statistics
import sys

METRICS = ["Recall@10", "Recall@50", "Recall@100", "NDCG@10", "MRR", "Coverage@10"]


def wall_seconds(time_file):
    with open(time_file) as f:
        m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", f.read())
    h, mnt, s = m.groups()
    return (int(h) if h else 0) * 3600 + int(mnt) * 60 + float(s)


def spread(values, fmt="{:.4f}"):
    if len(values) == 1:
        return fmt.format(values[0])
    return (fmt + " ± " + fmt + " (" + fmt + "–" + fmt + ")").format(
        statistics.mean(values), statistics.stdev(values), min(values), max(values))


def main(out):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*-s*", "twotower_results.json"))):
        run_dir = os.path.dirname(path)
        name, seed = re.match(r"(.*)-s(\d+)$", os.path.basename(run_dir)).groups()
        with open(path) as f:
            r = json.load(f)
        r["wall_seconds"] = wall_seconds(run_dir + ".time")
        r["seed"] = int(seed)
        runs.setdefault(name, []).append(r)
    with open(os.path.join(out, "data", "baseline_results.json")) as f:
        baselines = json.load(f)["held_out_interactions"]
    order = [n for n in ["seed", "quality"] if n in runs] + sorted(n for n in runs if n not in ("seed", "quality"))

    print("Popularity baselines: most popular Recall@10 {:.4f}, excluding the user's history {:.4f}\n".format(
        baselines["most_popular"]["Recall@10"], baselines["most_popular_excluding_history"]["Recall@10"]))
    for way, title in (("exclude_history", "seen items excluded"), ("all_items", "all items")):
        print(f"Best epoch's model, {title} (mean ± std (min–max) over seeds where more than one):\n")
        print("| configuration | seeds | " + " | ".join(METRICS) + " | best epoch | epochs run | wall s | examples/s |")
        print("|---" * (len(METRICS) + 6) + "|")
        for name in order:
            rs = runs[name]
            cells = [spread([r["final_metrics"][way][m] for r in rs]) for m in METRICS]
            speeds = [statistics.mean(r["training"]["examples_per_second"]) for r in rs]
            print(f"| {name} | {','.join(str(r['seed']) for r in rs)} | " + " | ".join(cells)
                  + f" | {spread([r['best_epoch'] for r in rs], '{:.1f}')} | {spread([r['epochs_run'] for r in rs], '{:.1f}')}"
                  + f" | {spread([r['wall_seconds'] for r in rs], '{:.0f}')} | {spread(speeds, '{:.0f}')} |")
        print()
    print("Short histories: validation rows whose user had <= 5 items before (rows), and every validation row with the")
    print("user known by their last 5 items alone (history tower only; Recall@10, seen items excluded):\n")
    print("| configuration | rows <= 5 | Recall@10 on them | Recall@10, last 5 items only | Recall@10, full history |")
    print("|---|---|---|---|---|")
    for name in order:
        rs = runs[name]
        sh = [r["final_metrics"]["short_history"] for r in rs]
        rows = sh[0]["rows"]
        on_rows = spread([s["exclude_history"]["Recall@10"] for s in sh]) if rows else "-"
        last = (spread([s["last_items_only_exclude_history"]["Recall@10"] for s in sh])
                if "last_items_only_exclude_history" in sh[0] else "- (user-id tower)")
        full = spread([r["final_metrics"]["exclude_history"]["Recall@10"] for r in rs])
        print(f"| {name} | {rows} | {on_rows} | {last} | {full} |")
    print()
    print("Time to reach a Recall@10 (seen items excluded) at least the seed mode's mean best, per run (seconds of")
    print("training, summed over epochs up to the first such epoch; '-' = never):\n")
    if "seed" in runs:
        target = statistics.mean(r["final_metrics"]["exclude_history"]["Recall@10"] for r in runs["seed"])
        print(f"| configuration | target {target:.4f}: seconds per run |")
        print("|---|---|")
        for name in order:
            cells = []
            for r in runs[name]:
                t, hit = 0.0, None
                for m, n, eps in zip(r["training"]["metrics"], r["training"]["examples_per_epoch"],
                                     r["training"]["examples_per_second"]):
                    t += n / eps if eps else 0
                    if m["exclude_history"]["Recall@10"] >= target:
                        hit = t
                        break
                cells.append("-" if hit is None else f"{hit:.0f}")
            print(f"| {name} | {', '.join(cells)} |")


if __name__ == "__main__":
    main(sys.argv[1])
