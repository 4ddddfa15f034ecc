#!/usr/bin/env python3
"""Tables, flatness figures and the exactly-once check of a bench/run-soak.sh output folder; draws soak.png.

Usage: bench/summarize_soak.py DIR   (prints Markdown; run-soak.sh tees it into DIR/summary.md)

Steady state: the samples of each online process once it has run --warmup-minutes (a restart's JVM warms up and
catches up on the events published while it was down). Events/s: trained events between two progress lines of
the operator (about 10 s apart) over their log times. Lag: the group's committed offsets (committed when a
checkpoint completes, so up to one checkpoint interval of events) behind the topic's end.
"""
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

PROGRESS = re.compile(r"(\d+) events, (\d+) events/s so far \((\d+) trained, (\d+) dead-lettered\), (\d+) users, "
                      r"(\d+) items, (\d+) open NDArrays")
NMT_TOTAL = re.compile(r"Total: reserved=(\d+)KB, committed=(\d+)KB")
NMT_CATEGORY = re.compile(r"-\s+(.+?) \(reserved=(\d+)KB, committed=(\d+)KB\)")
HEAP = re.compile(r"heap\s+total (\d+)K, used (\d+)K")


def read_env(d):
    env = {}
    for line in open(os.path.join(d, "env.txt")):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            env[k] = v
    return env


def tsv(path):
    if not os.path.exists(path):
        return []
    return [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]


def memory_samples(d):
    out = []
    cur = None
    for line in open(os.path.join(d, "memory.raw")) if os.path.exists(os.path.join(d, "memory.raw")) else []:
        if line.startswith("=== "):
            kv = dict(p.split("=", 1) for p in line[4:].split())
            cur = {"t": float(kv["t"]), "run": int(kv["run"]), "pid": kv["pid"],
                   "rss_kb": int(kv["rss_kb"]) if kv.get("rss_kb") else None, "nmt": {}}
            out.append(cur)
            continue
        if cur is None:
            continue
        m = HEAP.search(line)
        if m:
            cur["heap_committed_kb"], cur["heap_used_kb"] = int(m.group(1)), int(m.group(2))
        m = NMT_TOTAL.search(line)
        if m:
            cur["nmt_committed_kb"] = int(m.group(2))
        m = NMT_CATEGORY.search(line)
        if m:
            cur["nmt"][m.group(1).strip()] = int(m.group(3))
    return [s for s in out if s["rss_kb"] is not None and "heap_used_kb" in s]


def progress_points(d, starts):
    """The operator's progress lines of every run's console log (online-<run>.log; times HH:MM:SS,mmm local, read
    forward from the run's start): dicts of t, run, events, trained, dead, users, items, arrays."""
    points = []
    for run, start in sorted(starts.items()):
        path = os.path.join(d, f"online-{run}.log")
        if not os.path.exists(path):
            continue
        day = datetime.datetime.fromtimestamp(start).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        last = start - 5
        for line in open(path, errors="replace"):
            m = PROGRESS.search(line)
            if not m:
                continue
            h, mi, rest = line.split()[0].split(":")
            sec, ms = rest.split(",")
            t = day + int(h) * 3600 + int(mi) * 60 + int(sec) + int(ms) / 1000
            while t < last - 60:  # past midnight
                day += 86400
                t += 86400
            last = t
            points.append({"t": t, "run": run, "events": int(m.group(1)), "trained": int(m.group(3)),
                           "dead": int(m.group(4)), "users": int(m.group(5)), "items": int(m.group(6)),
                           "arrays": int(m.group(7))})
    return points


def rates(points):
    out = []
    for a, b in zip(points, points[1:]):
        if a["run"] == b["run"] and b["t"] > a["t"]:
            out.append({"t": b["t"], "run": b["run"], "eps": (b["trained"] - a["trained"]) / (b["t"] - a["t"])})
    return out


def checkpoints(d):
    found = {}
    restored = {}
    for row in tsv(os.path.join(d, "checkpoints.tsv")):
        try:
            j = json.loads(row[3])
        except (ValueError, IndexError):
            continue
        for h in j.get("history", []):
            if h.get("status") == "COMPLETED":
                found[(row[2], h["id"])] = {"run": int(row[1]), "id": h["id"], "t": h.get("latest_ack_timestamp", 0) / 1000,
                                            "duration_ms": h.get("end_to_end_duration"),
                                            "size": h.get("checkpointed_size", h.get("state_size")),
                                            "state_size": h.get("state_size")}
        r = (j.get("latest") or {}).get("restored")
        if r:
            restored[int(row[1])] = r
    return sorted(found.values(), key=lambda c: c["t"]), restored


def spread(values):
    lo, hi = min(values), max(values)
    return lo, hi, (hi - lo) / lo * 100 if lo > 0 else float("inf")


def slope_per_hour(ts, vs):
    if len(ts) < 3:
        return float("nan")
    mt, mv = statistics.mean(ts), statistics.mean(vs)
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (v - mv) for t, v in zip(ts, vs)) / den * 3600 if den else float("nan")


def fmt(x, digits=0):
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    return f"{x:,.{digits}f}"


def main(d):
    env = read_env(d)
    t0 = float(env["t0"])
    warm = float(env.get("warmup_minutes", "3")) * 60
    rate = float(env["rate"])
    events = tsv(os.path.join(d, "events.tsv"))
    starts = {int(e[1]): float(e[0]) for e in events if e[3] == "start"}
    kills = [(float(e[0]), int(e[1])) for e in events if e[3].startswith("kill")]
    died = [(float(e[0]), int(e[1])) for e in events if e[3] == "died"]
    verifies = [(float(e[0]), e[2], e[3]) for e in events if e[3].startswith("verify")]
    feed_done = next((float(e[0]) for e in events if e[3] == "feed-done"), None)
    points = progress_points(d, starts)
    # The tables grow with the ids until the first pass over the log has shown them all: state bounded by the
    # catalog, counted apart (users, items), and not part of the flatness figures.
    vocab_final = (max(x["users"] for x in points), max(x["items"] for x in points)) if points else (0, 0)
    vocab_done = next((x["t"] for x in points if (x["users"], x["items"]) == vocab_final), None)
    steady_from = max(t0 + warm, vocab_done or t0)
    mem = memory_samples(d)
    for s in mem:
        s["uptime"] = s["t"] - starts.get(s["run"], t0)
        s["steady"] = s["uptime"] >= warm and s["t"] >= steady_from and (feed_done is None or s["t"] <= feed_done)
    eps = rates(points)
    for r in eps:
        r["steady"] = r["t"] - starts.get(r["run"], t0) >= warm and r["t"] >= steady_from and \
            (feed_done is None or r["t"] <= feed_done)
    lag = [{"t": float(r[0]), "lag": int(r[3]), "dlq": int(r[4]), "committed": int(r[2]), "end": int(r[1])}
           for r in tsv(os.path.join(d, "lag.tsv"))[1:]]
    cps, restored = checkpoints(d)
    disk = [(float(r[0]), int(r[1]) if r[1] else 0) for r in tsv(os.path.join(d, "disk.tsv"))]
    feeder = json.load(open(os.path.join(d, "feeder.json"))) if os.path.exists(os.path.join(d, "feeder.json")) else {}
    rpath = os.path.join(d, "online-out", "online_results.json")
    results = json.load(open(rpath)) if os.path.exists(rpath) else None

    p = print
    p(f"## Online soak: {env.get('date', '?')}, {env['minutes']} min at {env['rate']} events/s, "
      f"{len(kills)} kills (seed {env['seed']})\n")
    p(f"{env.get('cpus')} CPUs ({env.get('cpu_model')}), {env.get('java')}, -Xmx{env.get('xmx')}, git {env.get('git_head')}; "
      f"load average at the start {env.get('load_start')}, at the end {env.get('load_end', '?')}. Steady state: "
      f"after the first {fmt(warm / 60, 1)} min of each process, and from minute {fmt((steady_from - t0) / 60, 1)}, "
      f"when the vocabulary reached its final {vocab_final[0]:,} users and {vocab_final[1]:,} items "
      f"(the first pass over the log).\n")

    # ---- per-bucket table ----
    minutes = float(env["minutes"])
    bucket = max(1, int(round(minutes / 15)))
    end_t = max([s["t"] for s in mem] + [l["t"] for l in lag] + [t0])
    p(f"### Every {bucket} min\n")
    p("| min | run | RSS MB | heap after GC MB | RSS - heap committed MB | NMT Other MB | events/s trained | lag max "
      "| checkpoints | ckpt ms max | ckpt size KB | open NDArrays |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|")
    b = 0
    while t0 + b * 60 <= end_t:
        lo, hi = t0 + b * 60, t0 + (b + bucket) * 60
        ms = [s for s in mem if lo <= s["t"] < hi]
        es = [r["eps"] for r in eps if lo <= r["t"] < hi]
        ls = [x["lag"] for x in lag if lo <= x["t"] < hi]
        cs = [c for c in cps if lo <= c["t"] < hi]
        ar = [x["arrays"] for x in points if lo <= x["t"] < hi]
        runs = sorted({s["run"] for s in ms})
        rss = max((s["rss_kb"] for s in ms), default=None)
        heap = max((s["heap_used_kb"] for s in ms), default=None)
        other = max((s["nmt"].get("Other", 0) for s in ms), default=None)
        native = max((s["rss_kb"] - s["heap_committed_kb"] for s in ms), default=None)
        kill_mark = " kill" if any(lo <= k[0] < hi for k in kills) else ""
        p(f"| {b}-{b + bucket} | {','.join(map(str, runs)) or '-'}{kill_mark} | {fmt(rss and rss / 1024)} "
          f"| {fmt(heap and heap / 1024)} | {fmt(native and native / 1024)} | {fmt(other and other / 1024, 1)} "
          f"| {fmt(statistics.mean(es) if es else None)} | {fmt(max(ls) if ls else None)} | {len(cs)} "
          f"| {fmt(max((c['duration_ms'] or 0) for c in cs) if cs else None)} "
          f"| {fmt(cs[-1]['size'] / 1024 if cs and cs[-1]['size'] else None)} | {ar[-1] if ar else '-'} |")
        b += bucket
    p()

    # ---- per process ----
    p("### Per process (run)\n")
    p("| run | started (min) | ended | samples (steady) | RSS MB steady min-max | heap after GC MB steady min-max "
      "| RSS growth MB/h | heap growth MB/h | restored at checkpoint | recovery s |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    for run in sorted(starts):
        ms = [s for s in mem if s["run"] == run]
        st = [s for s in ms if s["steady"]]
        end = next((f"kill at {fmt((k[0] - t0) / 60, 1)}" for k in kills if k[1] == run), None) or \
            next((f"died at {fmt((k[0] - t0) / 60, 1)}" for k in died if k[1] == run), None) or "drained"
        r = restored.get(run)
        first = next((x["t"] for x in points if x["run"] == run), None)
        prev_kill = next((k[0] for k in kills if k[1] == run - 1), None)
        recovery = first - prev_kill if first and prev_kill else None
        rss_r = f"{fmt(min(s['rss_kb'] for s in st) / 1024)}-{fmt(max(s['rss_kb'] for s in st) / 1024)}" if st else "-"
        heap_r = f"{fmt(min(s['heap_used_kb'] for s in st) / 1024)}-{fmt(max(s['heap_used_kb'] for s in st) / 1024)}" \
            if st else "-"
        p(f"| {run} | {fmt((starts[run] - t0) / 60, 1)} | {end} | {len(ms)} ({len(st)}) | {rss_r} | {heap_r} "
          f"| {fmt(slope_per_hour([s['t'] for s in st], [s['rss_kb'] / 1024 for s in st]), 1)} "
          f"| {fmt(slope_per_hour([s['t'] for s in st], [s['heap_used_kb'] / 1024 for s in st]), 1)} "
          f"| {'chk ' + str(r['id']) if r else '-'} | {fmt(recovery)} |")
    p()

    # ---- the goals ----
    p("### Goals (steady state)\n")
    st = [s for s in mem if s["steady"]]
    checks = []
    if st:
        lo, hi, sp = spread([s["rss_kb"] / 1024 for s in st])
        checks.append(("RSS flat within 10%", sp <= 10, f"{fmt(lo)}-{fmt(hi)} MB ({fmt(sp, 1)}%)"))
        lo, hi, sp = spread([s["heap_used_kb"] / 1024 for s in st])
        checks.append(("heap after GC flat within 10%", sp <= 10, f"{fmt(lo)}-{fmt(hi)} MB ({fmt(sp, 1)}%)"))
        # The level: each steady minute's median sample (a sample can catch a transient block of a step or a
        # ranking, which the median of a minute's six samples does not), and the trend over the steady samples.
        by_minute = {}
        for s in st:
            by_minute.setdefault(int((s["t"] - t0) // 60), []).append(s["rss_kb"] / 1024)
        medians = [statistics.median(v) for v in by_minute.values()]
        lo, hi, sp = spread(medians)
        checks.append(("RSS level flat within 10% (median of each steady minute)", sp <= 10,
                       f"{fmt(lo)}-{fmt(hi)} MB ({fmt(sp, 1)}%)"))
        heap_by_minute = {}
        for s in st:
            heap_by_minute.setdefault(int((s["t"] - t0) // 60), []).append(s["heap_used_kb"] / 1024)
        lo, hi, sp = spread([statistics.median(v) for v in heap_by_minute.values()])
        checks.append(("heap after GC level flat within 10% (median of each steady minute)", sp <= 10,
                       f"{fmt(lo, 1)}-{fmt(hi, 1)} MB ({fmt(sp, 1)}%)"))
        if len(st) > 2:
            xs = [(s["t"] - t0) / 3600 for s in st]
            ys = [s["rss_kb"] / 1024 for s in st]
            mx, my = statistics.mean(xs), statistics.mean(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
            checks.append(("RSS trend over the steady samples (least squares), for reference", None,
                           f"{fmt(slope, 1)} MB per hour"))
        nat = [(s["rss_kb"] - s["heap_committed_kb"]) / 1024 for s in st]
        checks.append(("RSS beyond the committed heap (metaspace, code, threads, direct buffers, libtorch), for "
                       "reference", None, f"{fmt(min(nat))}-{fmt(max(nat))} MB"))
        other = [s["nmt"].get("Other", 0) / 1024 for s in st]
        checks.append(("NMT Other (direct buffers), for reference", None, f"{fmt(min(other), 1)}-{fmt(max(other), 1)} MB"))
    else:
        checks.append(("steady samples", False, "none: run longer than the warm-up"))
    steady_minutes = {}
    for r in eps:
        if r["steady"]:
            steady_minutes.setdefault(int((r["t"] - t0) // 60), []).append(r["eps"])
    per_minute = [statistics.mean(v) for v in steady_minutes.values() if v]
    if len(per_minute) >= 2:
        lo, hi = min(per_minute), max(per_minute)
        mean = statistics.mean(per_minute)
        checks.append(("events/s flat within 10% (per steady minute)", (hi - lo) / mean * 100 <= 10,
                       f"{fmt(lo)}-{fmt(hi)} (mean {fmt(mean)}, feed {fmt(rate)}; {len(per_minute)} minutes)"))
    steady_lag = [x["lag"] for x in lag if any(s["steady"] and abs(s["t"] - x["t"]) < 10 for s in mem)]
    if steady_lag:
        bound = rate * 45
        checks.append(("lag bounded (steady max <= 45 s of feed: one 30 s checkpoint interval and its duration)",
                       max(steady_lag) <= bound, f"max {fmt(max(steady_lag))} events ({fmt(max(steady_lag) / rate, 1)} s"
                       f" of feed), overall max {fmt(max(x['lag'] for x in lag))}"))
    if lag:
        checks.append(("lag 0 at the end", lag[-1]["lag"] == 0, f"{lag[-1]['lag']}"))
    arrays = [x["arrays"] for x in points if x["t"] - starts.get(x["run"], t0) >= warm]
    if arrays:
        checks.append(("open NDArrays flat (steady)", max(arrays) == min(arrays), f"{min(arrays)}-{max(arrays)}"))
    if cps:
        durs = sorted(c["duration_ms"] for c in cps if c["duration_ms"] is not None)
        sizes = [c["size"] for c in cps if c["size"]]
        checks.append(("checkpoints completed", None, f"{len(cps)}; duration median {fmt(statistics.median(durs))} ms,"
                       f" max {fmt(max(durs))} ms; size first {fmt(sizes[0] / 1024)} KB, last {fmt(sizes[-1] / 1024)} KB"))
    if disk:
        checks.append(("checkpoint dir on disk", None, f"first {fmt(disk[0][1] / 1024, 1)} MB, max "
                       f"{fmt(max(x[1] for x in disk) / 1024, 1)} MB, last {fmt(disk[-1][1] / 1024, 1)} MB"))
    for name, ok, text in checks:
        p(f"- {name}: {text}" + ("" if ok is None else (" **ok**" if ok else " **NOT MET**")))
    p()

    # ---- exactly once ----
    p("### Exactly once across the kills\n")
    ok_all = True
    if results and feeder:
        rows = [
            ("published records (feeder, acknowledged)", feeder["published"], results["events_read"],
             "events_read (events + dead_lettered)"),
            ("good events published", feeder["good"], results["events"], "events"),
            ("good events", feeder["good"], results["trained"] + results["skipped_no_negatives"],
             "trained + skipped_no_negatives"),
            ("corrupt records published", feeder["corrupt"], results["dead_lettered"], "dead_lettered"),
            ("kills (+ unplanned deaths)", len(kills) + len(died), results.get("restores", len(results["restored_at_events"])),
             "restores"),
        ]
        p("| published | count | counted by online (checkpointed state) | count | equal |")
        p("|---|---|---|---|---|")
        for a, x, y, b2 in rows:
            ok_all &= x == y
            p(f"| {a} | {x:,} | {b2} | {y:,} | {'yes' if x == y else '**NO**'} |")
        p()
        p(f"Trained {results['trained']:,}, skipped for want of negatives {results['skipped_no_negatives']:,}; "
          f"restored at events {results['restored_at_events']}; {results['windows']} windows in "
          f"{results.get('windows_files', '?')} windows files; dead-letter topic holds {lag[-1]['dlq'] if lag else '?'} "
          f"records for {feeder['corrupt']} corrupt ones (its sink is at-least-once: a restore may write one twice).")
    else:
        ok_all = False
        p("No online_results.json or feeder.json: the drain did not finish.")
    p()
    p("### LATEST under the kills\n")
    for t, what, rc in verifies:
        p(f"- {fmt((t - t0) / 60, 1)} min, {what}: `snapshots verify` exit code {rc.split('=')[1]}")
    published = sum(1 for f in os.listdir(d) if f.startswith("online-") and f.endswith(".log")
                    for line in open(os.path.join(d, f)) if "Published snapshot" in line)
    p(f"- snapshots published: {published} (keep-snapshots 5)")
    ok_all &= all(v[2] == "verify rc=0" for v in verifies)
    p()
    p(f"**Exactly once and LATEST: {'ok' if ok_all else 'NOT MET'}**")

    # ---- plot ----
    with open(os.path.join(d, "timeline.tsv"), "w") as f:
        f.write("minute\trss_mb\theap_mb\tnonheap_mb\tevents_s\tlag\n")
        rows = [((s["t"] - t0) / 60, s["rss_kb"] / 1024, s["heap_used_kb"] / 1024,
                 max(0, s["rss_kb"] - s["heap_committed_kb"]) / 1024, None, None) for s in mem]
        rows += [((r["t"] - t0) / 60, None, None, None, r["eps"], None) for r in eps]
        rows += [((x["t"] - t0) / 60, None, None, None, None, x["lag"]) for x in lag]
        for r in sorted(rows):
            f.write("\t".join("nan" if v is None else f"{v:.3f}" for v in r) + "\n")
    with open(os.path.join(d, "kills.txt"), "w") as f:
        for k in kills:
            f.write(f"{(k[0] - t0) / 60:.3f}\n")
    jar = env.get("jar")
    if jar and os.path.isdir(os.path.join(d, "classes")):
        rc = subprocess.call(["java", "-Djava.awt.headless=true", "-cp", os.path.join(d, "classes") + ":" + jar,
                              "SoakPlot", os.path.join(d, "timeline.tsv"), os.path.join(d, "kills.txt"),
                              os.path.join(d, "soak.png")])
        p()
        p("Plot: soak.png" if rc == 0 else f"(SoakPlot failed: rc {rc})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
