#!/usr/bin/env python3
"""Tables for a bench/run-scaling.sh output folder (Markdown on stdout). Standard library only.

Ceiling: FLOPs per example of one training step, as ScalingBench counts them --
  user tower on B rows and item tower on the batch's U distinct items, 2 Linear d x d layers each,
  2*d*d FLOPs per row per layer forward, x3 with backward; scoring B*(1+k)*d*2*3; AdamW 10 FLOPs per
  parameter per optimizer step (one step per accum_steps micro-batches) -- divided into the measured
  matmul rate (GFLOP/s).  Elementwise work (LayerNorm, ReLU, dropout, L2 norm, gathers, dense embedding
  gradients, AdamW's memory traffic) is not in the count: it is what the ratio measured/ceiling shows.
"""
import json
import os
import sys


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if '=' in line:
                    k, v = line.rstrip('\n').split('=', 1)
                    out[k] = v
    return out


def rss_mb(path):
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if 'Maximum resident set size' in line:
                    return int(line.rsplit(':', 1)[1]) / 1024
    return None


def load(out, name):
    p = os.path.join(out, f'{name}.json')
    if not os.path.exists(p):
        return None
    with open(p) as f:
        r = json.load(f)
    r['rss_mb'] = rss_mb(os.path.join(out, f'{name}.time'))
    return r


def fmt(x, spec):
    return 'n/a' if x is None else format(x, spec)


def main():
    out = sys.argv[1]
    env = read_kv(os.path.join(out, 'env.txt'))
    pols = env.get('policies', 'default,passive').split(',')
    gflops = float(env.get('gflops', 0))
    print(f"Run of `{env.get('command', 'bench/run-scaling.sh')}`, {env.get('date', '?')}, {env.get('cpus', '?')} cores "
          f"({env.get('cpu_model', '?')}), {int(env.get('mem_total_kb', 0)) // 1024 // 1024} GiB, -Xmx{env.get('xmx', '?')}; "
          f"jar built {env.get('jar_mtime', '?')}, git {env.get('git_head', '?')}. Output: `{out}`.\n")

    print('Matmul rate (DJL matMul [9000 x 256] x [256 x 256], median / best / worst of the loop):\n')
    print('| OpenMP wait policy | GFLOP/s median | best | worst | torch threads | load 1m/5m/15m |')
    print('|---|---:|---:|---:|---:|---|')
    for p in pols:
        m = load(out, f'matmul-{p}')
        if m:
            print(f"| {p} | {m['gflops_median']:.1f} | {m['gflops_best']:.1f} | {m['gflops_worst']:.1f} | "
                  f"{m['threads']} | {m['loadavg']} |")
    print(f'\nCeiling rate used below: {gflops:.1f} GFLOP/s (the best median).\n')

    def table(title, rows):
        print(title + '\n')
        head = '| ' + ' | '.join(['point', 'distinct items U', 'FLOPs/example (user+item+score+AdamW)', 'ceiling ex/s'] +
                                 [f'{p}: ex/s | {p}: ms/micro-batch (with AdamW) | {p}: measured/ceiling | {p}: peak RSS MiB | {p}: load 1m'
                                  for p in pols]) + ' |'
        print(head)
        print('|' + '---|' * (4 + 5 * len(pols)))
        for label, names in rows:
            rs = [load(out, n) for n in names]
            ref = next((r for r in rs if r), None)
            if ref is None:
                print(f'| {label} | not run |' + ' |' * (2 + 5 * len(pols)))
                continue
            cells = [label, f"{ref['distinct_items']:.0f}",
                     f"{ref['flops_per_example'] / 1e6:.2f} M ({ref['flops_user'] / 1e6:.2f}+{ref['flops_item'] / 1e6:.2f}"
                     f"+{ref['flops_score'] / 1e6:.2f}+{ref['flops_adamw'] / 1e6:.2f})",
                     f"{ref['ceiling_examples_per_s']:.0f}"]
            for r in rs:
                if r is None:
                    cells += ['n/a'] * 5
                    continue
                plain = r['micro_batch_ms']   # NaN with accum_steps 1: every micro-batch steps the optimizer
                cells += [f"{r['examples_per_s']:.0f}", f"{'n/a' if plain != plain else format(plain, '.0f')} ({r['micro_batch_adamw_ms']:.0f})",
                          f"{r['ratio']:.2f}", fmt(r['rss_mb'], '.0f'), r['loadavg'].split()[0]]
            print('| ' + ' | '.join(cells) + ' |')
        print()

    names = sorted(f[:-5] for f in os.listdir(out) if f.startswith(('catalog-', 'batch-')) and f.endswith('.json'))
    catalogs = sorted({int(n.split('-')[1]) for n in names if n.startswith('catalog-')})
    batches = sorted({int(n.split('-')[1]) for n in names if n.startswith('batch-')})
    if 10000 in catalogs and 512 not in batches and env.get('config', 'defaults') == 'defaults' and not env.get('sets'):
        batches = sorted(batches + [512])   # the 10k catalog point is the batch-512 point
    ref = next((load(out, n) for n in sorted(names, key=lambda n: not n.startswith('catalog-'))), None) or {}
    shape = f"d_model {ref.get('d', 256)}, k_neg {ref.get('k', 50)}, accum_steps {ref.get('accum', 2)}"
    if env.get('config', 'defaults') != 'defaults' or env.get('sets'):
        shape += f"; --config {env.get('config', 'defaults')}" + (f" --set {env['sets']}" if env.get('sets') else '')
        shape += f" ({ref.get('config', '')})"

    def batch_point(b, p):
        return f'batch-{b}-{p}' if os.path.exists(os.path.join(out, f'batch-{b}-{p}.json')) else f'catalog-10000-{p}'

    table(f"Catalog size ({ref.get('users', 610)} users, batch {ref.get('batch', 512)}, {shape}):",
          [(f'{n:,} items', [f'catalog-{n}-{p}' for p in pols]) for n in catalogs or (1000, 10000, 100000, 1000000)])
    table(f'Batch size (10k items; {shape}):',
          [(f'batch {b}', [batch_point(b, p) for p in pols]) for b in batches or (256, 512, 1024, 2048, 4096)])

    fit = os.path.join(out, 'fit-1m-xmx1g.log')
    if os.path.exists(fit):
        with open(fit) as f:
            text = f.read()
        rc = read_kv(os.path.join(out, 'fit-1m-xmx1g.rc')).get('rc', '?')
        err = next((l.strip() for l in text.splitlines() if 'OutOfMemoryError' in l or 'Exception' in l), None)
        print(f"Memory check, 1M items with -Xmx1g: exit code {rc}"
              + (f": `{err}`" if err else ', it ran') + f"; peak RSS {fmt(rss_mb(fit[:-4] + '.time'), '.0f')} MiB.\n")

    for p in pols:
        b = os.path.join(out, f'breakdown-{p}.log')
        if os.path.exists(b):
            with open(b) as f:
                lines = [l.rstrip() for l in f if l.startswith(('torch threads', 'trainBatch', 'graph', 'gather', 'towers', 'AdamW', 'profile'))]
            rss = rss_mb(os.path.join(out, f'breakdown-{p}.time'))
            print(f'Step breakdown, MovieLens-sized batches, OpenMP wait policy {p} (StepBreakdown):\n')
            print('```')
            print('\n'.join(lines))
            print('```\n')
            ops = os.path.join(out, f'ops-{p}.txt')
            if os.path.exists(ops):
                with open(ops) as f:
                    print(f'PyTorch profiler, trainBatch, self time per op (policy {p}):\n')
                    print('```')
                    print(f.read().rstrip())
                    print('```\n')


if __name__ == '__main__':
    main()
