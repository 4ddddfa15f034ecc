#!/usr/bin/env python3
"""Tables of bench/run-data-scale.sh: prepare, bytes on disk and source throughput per size and layout."""
import glob
import os
import re
import sys


def kv(path):
    out = {}
    if os.path.exists(path):
        for tok in open(path).read().split():
            if '=' in tok:
                k, v = tok.split('=', 1)
                out[k] = v
    return out


def rss_mib(path):
    if not os.path.exists(path):
        return None
    m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', open(path).read())
    return int(m.group(1)) // 1024 if m else None


def main():
    out = sys.argv[1]
    sizes = []
    for line in open(os.path.join(out, 'sizes.txt')) if os.path.exists(os.path.join(out, 'sizes.txt')) else []:
        d = dict(t.split('=', 1) for t in line.split())
        if d['n'] not in [s['n'] for s in sizes]:
            sizes.append(d)
    nbytes = {}
    for line in open(os.path.join(out, 'bytes.txt')) if os.path.exists(os.path.join(out, 'bytes.txt')) else []:
        d = dict(t.split('=', 1) for t in line.split())
        for k, v in d.items():
            if k != 'n':
                nbytes[(d['n'], k)] = int(v)
    print(open(os.path.join(out, 'env.txt')).read().strip().replace('\n', '; '))
    print()
    print('| interactions | users | items | layout | prepare s | interactions/s | prepare peak RSS MiB | training data MiB | vs notebook |')
    print('|---:|---:|---:|---|---:|---:|---:|---:|---:|')
    same = {}
    if os.path.exists(os.path.join(out, 'same.txt')):
        for line in open(os.path.join(out, 'same.txt')):
            d = dict(t.split('=', 1) for t in line.split())
            same[d['n']] = d['same_output_p1_p2']
    for s in sizes:
        n = s['n']
        nb = nbytes.get((n, 'notebook_train_bytes'), 0)
        for layout, key, run in (('notebook', 'notebook_train_bytes', 'notebook'),
                                 ('compact', 'compact_train_bytes', 'compact'),
                                 ('compact, parallelism 1', 'compact_train_bytes', 'compact-p1')):
            suffix = '-p1' if run.endswith('-p1') else ''
            name = run[:-3] if suffix else run
            if not os.path.exists(os.path.join(out, f'prepare-{name}-{n}{suffix}.wall')):
                continue
            w = kv(os.path.join(out, f'prepare-{name}-{n}{suffix}.wall'))
            rss = rss_mib(os.path.join(out, f'prepare-{name}-{n}{suffix}.time'))
            b = nbytes.get((n, key), 0)
            wall = float(w.get('wall_s', 'nan'))
            ok = w.get('rc') == '0'
            print(f"| {int(n):,} | {int(s['users']):,} | {int(s['items']):,} | {layout} | "
                  f"{wall:.1f}{'' if ok else ' (rc ' + w.get('rc', '?') + ')'} | "
                  f"{int(n) / wall:,.0f} | {rss if rss is not None else '-'} | {b / 2**20:,.1f} | "
                  f"{(f'{nb / b:.1f}x' if b and nb else '-')} |")
    if same:
        print()
        print('Compact output at parallelism 1 the same as at parallelism 2 (by content, PreparedDigest.java): ' +
              ', '.join(f'{int(n):,}: {v}' for n, v in same.items()))
    print()
    print('| interactions | layout | parallelism | readers | rows | seconds | rows/s | heap after GC MiB | -Xmx MiB '
          '| peak RSS MiB |')
    print('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for s in sizes:
        n = s['n']
        for layout in ('notebook', 'compact'):
            for p in ('1', '2', '2r2'):
                log = os.path.join(out, f'source-{layout}-{n}-p{p}.log')
                if not os.path.exists(log):
                    continue
                line = next((l for l in open(log) if l.startswith('source ')), None)
                if line is None:
                    w = kv(os.path.join(out, f'source-{layout}-{n}-p{p}.wall'))
                    print(f"| {int(n):,} | {layout} | {p[0]} | {p[2:] or 1} | failed (rc {w.get('rc', '?')}) | | | | | "
                          f"{rss_mib(log[:-4] + '.time') or '-'} |")
                    continue
                d = kv_line(line)
                print(f"| {int(n):,} | {layout} | {d['parallelism']} | {d.get('readers', '1')} | {int(d['rows']):,} | {float(d['seconds']):.1f} | "
                      f"{float(d['rows_per_s']):,.0f} | {d['heap_after_gc_mb']} | {d['heap_max_mb']} | "
                      f"{rss_mib(log[:-4] + '.time')} |")
    for log in sorted(glob.glob(os.path.join(out, 'trainer-compact-*[0-9].log'))):
        lines = [l.strip() for l in open(log) if 'examples/s' in l]
        if lines:
            print()
            print(f'Real trainer ({os.path.basename(log)}): {lines[-1]}')


def kv_line(line):
    return dict(t.split('=', 1) for t in line.split() if '=' in t)


if __name__ == '__main__':
    main()
