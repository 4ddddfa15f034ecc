#!/usr/bin/env python3
"""Tables for a bench/run-benchmark.sh output folder (Markdown on stdout).

Reads env.txt, loadavg.log, {nb,fast}.json (the references' --json-out), ours.log and
ours-train/twotower_results.json (the job), online.log and online-out/online_results.json, and each
side's NAME.time (/usr/bin/time -v) and NAME.meta (start/end, load averages).  Standard library only.

Figures:
  * examples/s: training rows / training seconds, as each side reports it.  The references time
    sampling + compute of the epoch (evaluation excluded); the job times each batch from its first
    example's arrival to the end of its step (negatives are sampled upstream, overlapped, so the job
    has no sampling/compute split).  "over epoch wall" divides by the whole epoch instead (with
    evaluation, and for the job also snapshot publication), the same clock on every side.
  * epoch wall for the job: from "Assigned epoch 1" (resp. the previous "Epoch N:" line) to the
    "Epoch N:" line, from the log's timestamps.
  * load: the 1-minute load average sampled every 5 s while the side ran (min / mean / max).  A side
    that keeps 2 cores busy shows ~2 on its own; more means other work shared the 2 cores.
"""
import datetime as dt
import json
import os
import re
import sys

ONE_HIT = 1 / 610


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if '=' in line:
                    k, v = line.rstrip('\n').split('=', 1)
                    out[k] = v
    return out


def read_time(path):
    """Peak RSS (MiB) and wall seconds from /usr/bin/time -v."""
    rss = wall = None
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith('Maximum resident set size'):
                    rss = int(line.rsplit(':', 1)[1]) / 1024
                elif line.startswith('Elapsed (wall clock) time'):
                    t = line.rsplit(' ', 1)[1].split(':')
                    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
    return rss, wall


def load_samples(out):
    samples = []
    path = os.path.join(out, 'loadavg.log')
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 2:
                    samples.append((float(p[0]), float(p[1])))
    return samples


def load_during(samples, meta):
    if 'start' not in meta or 'end' not in meta:
        return None
    s, e = float(meta['start']), float(meta['end'])
    vals = [v for t, v in samples if s <= t <= e + 5]
    if not vals:
        return None
    return min(vals), sum(vals) / len(vals), max(vals)


def wall_clock(start, seconds_of_day):
    """Epoch seconds of a log time of day, for a process that started at epoch seconds `start`."""
    d = dt.datetime.fromtimestamp(start)
    midnight = d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    t = midnight + seconds_of_day
    return t + 86400 if t < start - 60 else t


def load_at(samples, t):
    """The 1-minute load average sampled nearest to t (None when no sample is within 10 s)."""
    best = min(samples, key=lambda s: abs(s[0] - t), default=None)
    return best[1] if best is not None and abs(best[0] - t) <= 10 else None


def fmt_load(l):
    return 'n/a' if l is None else f'{l[0]:.1f} / {l[1]:.1f} / {l[2]:.1f}'


def log_time(line):
    m = re.match(r'(\d\d):(\d\d):(\d\d),(\d\d\d)', line)
    if not m:
        return None
    h, mi, s, ms = map(int, m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def since(t0, t1):
    d = t1 - t0
    return d + 86400 if d < 0 else d     # across midnight


def python_side(out, name):
    path = os.path.join(out, f'{name}.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        r = json.load(f)
    ep = r['epochs']
    return {
        'epochs': [{'epoch': e['epoch'], 'examples_per_s': e['examples_per_s'], 'train_s': e['train_s'],
                    'sampling_s': e['sampling_s'], 'compute_s': e['compute_s'], 'eval_s': e['eval_s'],
                    'epoch_s': e['epoch_s'], 'recall': e['recall_exact'], 'loss': e['loss'],
                    'load_1m': e.get('loadavg_1m')} for e in ep],
        'examples': sum(e['examples'] for e in ep),
        'train_s': sum(e['train_s'] for e in ep),
        'wall_epochs_s': sum(e['epoch_s'] for e in ep),
        'sampling_s': sum(e['sampling_s'] for e in ep),
        'compute_s': sum(e['compute_s'] for e in ep),
    }


# The epoch line gained "(seen items excluded: x)" after Recall@K; both forms parse.
EPOCH_RE = re.compile(r'Epoch (\d+): Loss=([0-9.]+), Recall@\d+=([0-9.]+)(?: \(seen items excluded: [0-9.]+\))?, lr=([0-9.eE+-]+), '
                      r'examples/s=([0-9.]+), examples=(\d+), steps=(\d+)')


def ours_side(out, name='ours'):
    log = os.path.join(out, f'{name}.log')
    res = os.path.join(out, f'{name}-train', 'twotower_results.json')
    if not os.path.exists(log):
        return None
    start = None
    epochs = []
    with open(log) as f:
        for line in f:
            if start is None and 'Assigned epoch 1 ' in line:
                start = log_time(line)
            m = EPOCH_RE.search(line)
            if m:
                t = log_time(line)
                prev = epochs[-1]['_t'] if epochs else start
                n = int(m.group(6))
                eps = float(m.group(5))
                epochs.append({'epoch': int(m.group(1)), 'loss': float(m.group(2)), 'recall': float(m.group(3)),
                               'examples_per_s': eps, 'examples': n, 'train_s': n / eps if eps else None,
                               'epoch_s': since(prev, t) if prev is not None and t is not None else None,
                               '_t': t, 'sampling_s': None, 'compute_s': None, 'eval_s': None})
    if os.path.exists(res):
        with open(res) as f:
            r = json.load(f)
        # The JSON's unrounded figures win over the log's.
        for e, eps, rec in zip(epochs, r['training']['examples_per_second'], r['training']['val_recalls']):
            e['examples_per_s'] = eps
            e['train_s'] = e['examples'] / eps if eps else None
            e['recall'] = rec
    if not epochs:
        return None
    return {
        'epochs': epochs,
        'examples': sum(e['examples'] for e in epochs),
        'train_s': sum(e['train_s'] for e in epochs),
        'wall_epochs_s': sum(e['epoch_s'] for e in epochs) if all(e['epoch_s'] for e in epochs) else None,
        'sampling_s': None, 'compute_s': None,
    }


def online_side(out):
    path = os.path.join(out, 'online-out', 'online_results.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        r = json.load(f)
    first = done = None
    with open(os.path.join(out, 'online.log')) as f:
        for line in f:
            if first is None and 'First event:' in line:
                first = log_time(line)
            if 'Online run done' in line:
                done = log_time(line)
    return {'results': r, 'trainer_s': since(first, done) if first is not None and done is not None else None}


def f0(x):
    return 'n/a' if x is None else f'{x:.0f}'


def f1(x):
    return 'n/a' if x is None else f'{x:.1f}'


def main():
    out = sys.argv[1]
    env = read_kv(os.path.join(out, 'env.txt'))
    samples = load_samples(out)
    sides = [('nb', 'faithful reference (reference_notebook.py)', python_side(out, 'nb')),
             ('fast', 'fast reference (reference_fast.py)', python_side(out, 'fast')),
             ('ours', 'ours (Flink/DJL job, `train`' + (f", OMP_WAIT_POLICY={env['omp_wait_policy'] or 'unset'}"
                                                       if 'omp_wait_policy' in env else '') + ')', ours_side(out)),
             ('ours-spin', 'ours, OMP_WAIT_POLICY unset (libgomp default, diagnostic)', ours_side(out, 'ours-spin')),
             ('ours-allcores', f"ours, trainer_threads={env.get('cpus', 'all')} (libtorch's default, diagnostic)",
              ours_side(out, 'ours-allcores')),
             # runs from before bench/run-benchmark.sh exported PASSIVE (their `ours` had it unset)
             ('ours-passive', 'ours, OMP_WAIT_POLICY=PASSIVE (diagnostic)', ours_side(out, 'ours-passive'))]
    sides = [x for x in sides if x[2] is not None or x[0] not in ('ours-spin', 'ours-passive', 'ours-allcores')]
    for key, _, s in sides:
        if s is not None:
            meta = read_kv(os.path.join(out, f'{key}.meta'))
            s['rss_mb'], s['process_wall_s'] = read_time(os.path.join(out, f'{key}.time'))
            s['load'] = load_during(samples, meta)
            s['load_start'] = meta.get('load_start')
            s['start'] = float(meta['start']) if 'start' in meta else None
            s['eps'] = s['examples'] / s['train_s']
            s['eps_wall'] = s['examples'] / s['wall_epochs_s'] if s['wall_epochs_s'] else None

    print(f"Run of `{env.get('command', 'bench/run-benchmark.sh')}`, {env.get('date', '?')}, {env.get('cpus', '?')} cores "
          f"({env.get('cpu_model', '?')}), {int(env.get('mem_total_kb', 0)) // 1024 // 1024} GiB; {env.get('java', '')}; "
          f"python {env.get('python', '')}; jar {os.path.basename(env.get('jar', '?'))} built {env.get('jar_mtime', '?')}, "
          f"git {env.get('git_head', '?')}. Output: `{out}`."
          + (f" {env['busy']} busy-loop process(es) ran beside every side." if env.get('busy', '0') != '0' else '') + "\n")

    print('| side | examples/s | examples/s over epoch wall | s/epoch: train (sampling + compute) | s/epoch: eval | '
          's/epoch: wall | Recall@10 per epoch | peak RSS MiB | process wall s | load 1m min/mean/max |')
    print('|---|---:|---:|---|---:|---:|---|---:|---:|---|')
    for key, label, s in sides:
        if s is None:
            print(f'| {label} | not run | | | | | | | | |')
            continue
        n = len(s['epochs'])
        if s['sampling_s'] is not None:
            train = f"{s['train_s'] / n:.1f} ({s['sampling_s'] / n:.1f} + {s['compute_s'] / n:.1f})"
            ev = f"{sum(e['eval_s'] for e in s['epochs']) / n:.2f}"
        else:
            train = f"{s['train_s'] / n:.1f} (sampling overlapped upstream)"
            ev = 'in wall'
        wall = 'n/a' if s['wall_epochs_s'] is None else f"{s['wall_epochs_s'] / n:.1f}"
        recalls = ', '.join(f"{e['recall']:.4f}" for e in s['epochs'])
        print(f"| {label} | {s['eps']:.0f} | {f0(s['eps_wall'])} | {train} | {ev} | {wall} | {recalls} | "
              f"{f0(s['rss_mb'])} | {f0(s['process_wall_s'])} | {fmt_load(s['load'])} |")

    print('\nPer epoch:\n')
    print('| side | epoch | examples/s | train s | sampling s | compute s | epoch wall s | loss | Recall@10 | load 1m at end |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for key, label, s in sides:
        if s is None:
            continue
        for e in s['epochs']:
            load = e.get('load_1m')
            if load is None and e.get('_t') is not None and s.get('start') is not None:
                load = load_at(samples, wall_clock(s['start'], e['_t']))
            print(f"| {key} | {e['epoch']} | {e['examples_per_s']:.0f} | {f1(e['train_s'])} | {f1(e['sampling_s'])} | "
                  f"{f1(e['compute_s'])} | {f1(e['epoch_s'])} | {e['loss']:.4f} | {e['recall']:.4f} | "
                  f"{'n/a' if load is None else f'{load:.2f}'} |")

    ours_runs = [(label, s) for key, label, s in sides if key.startswith('ours') and s is not None]
    print('\nOurs / reference (goal: >= 3x the faithful reference, >= 1x the fast one; same Recall@10 within noise, '
          f'one hit = {ONE_HIT:.4f}):\n')
    print('| ours | reference | examples/s ratio | over-epoch-wall ratio | peak RSS ratio | best Recall@10 ours vs ref '
          '| last-epoch Recall@10 difference (hits) |')
    print('|---|---|---:|---:|---:|---|---:|')
    for (olabel, ours), (key, label, s) in [(o, r) for o in ours_runs for r in sides[:2]]:
        if s is None:
            continue
        ratio = ours['eps'] / s['eps']
        wr = ours['eps_wall'] / s['eps_wall'] if ours['eps_wall'] and s['eps_wall'] else None
        rr = ours['rss_mb'] / s['rss_mb'] if ours['rss_mb'] and s['rss_mb'] else None
        bo = max(e['recall'] for e in ours['epochs'])
        br = max(e['recall'] for e in s['epochs'])
        dl = (ours['epochs'][-1]['recall'] - s['epochs'][-1]['recall']) / ONE_HIT
        print(f"| {olabel.split(' (')[0]} | {label.split(' (')[0]} | {ratio:.2f} | {'n/a' if wr is None else f'{wr:.2f}'} | "
              f"{'n/a' if rr is None else f'{rr:.2f}'} | {bo:.4f} vs {br:.4f} | {dl:+.0f} |")

    print()
    on = online_side(out)
    if on is not None:
        r = on['results']
        rss, wall = read_time(os.path.join(out, 'online.time'))
        meta = read_kv(os.path.join(out, 'online.meta'))
        rp = read_kv(os.path.join(out, 'replay.meta'))
        replay_line = ''
        rlog = os.path.join(out, 'replay.log')
        if os.path.exists(rlog):
            with open(rlog) as f:
                replay_line = next((l.strip() for l in f if l.startswith('replayed')), '')
        print('Online (`online --until-latest --window "365 d" --snapshot-every 1000` on a local Kafka broker):\n')
        print('| events | windows | trained | optimizer steps | prequential Recall@10 | process wall s | events/s (process wall) '
              '| trainer s (first event to done) | events/s (trainer) | peak RSS MiB | load 1m min/mean/max |')
        print('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
        ts = on['trainer_s']
        print(f"| {r['events']} | {r['windows']} | {r['trained']} | {r['optimizer_steps']} | "
              f"{r['prequential_recall']:.4f} | {f0(wall)} | {f0(r['events'] / wall if wall else None)} | {f0(ts)} | "
              f"{f0(r['events'] / ts if ts else None)} | {f0(rss)} | {fmt_load(load_during(samples, meta))} |")
        if replay_line:
            print(f'\nReplay: {replay_line} (load at start {rp.get("load_start", "?")}).')
    elif os.path.exists(os.path.join(out, 'online.skipped')):
        print('Online: skipped (no Kafka broker).')


if __name__ == '__main__':
    main()
