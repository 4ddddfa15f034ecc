#!/usr/bin/env python3
"""Self time per operator from a PyTorch profiler Chrome trace (StepBreakdown --profile FILE).

    /usr/bin/python3 bench/op_table.py trace.json [--per N] [--top 25]

Self time = an event's duration minus its children's (events nested on the same thread), so nested
autograd wrappers are not counted twice.  --per divides by the number of micro-batches profiled
(StepBreakdown profiles 4).  Standard library only.
"""
import argparse
import collections
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('trace')
    ap.add_argument('--per', type=float, default=4, help='divide totals by this (micro-batches profiled)')
    ap.add_argument('--top', type=int, default=25)
    args = ap.parse_args()
    with open(args.trace) as f:
        data = json.load(f)
    events = data['traceEvents'] if isinstance(data, dict) else data
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get('ph') == 'X' and 'dur' in e:
            by_thread[(e.get('pid'), e.get('tid'))].append(e)
    self_us = collections.defaultdict(float)
    calls = collections.Counter()
    total_us = 0.0
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e['ts']), -float(e['dur'])))
        stack = []          # [end, event, child_time]
        for e in evs:
            ts, dur = float(e['ts']), float(e['dur'])
            while stack and ts >= stack[-1][0] - 1e-6:
                end, ev, child = stack.pop()
                self_us[ev['name']] += float(ev['dur']) - child
            if stack:
                stack[-1][2] += dur
            else:
                total_us += dur
            calls[e['name']] += 1
            stack.append([ts + dur, e, 0.0])
        while stack:
            end, ev, child = stack.pop()
            self_us[ev['name']] += float(ev['dur']) - child
    print(f'{"self ms / micro-batch":>22}  {"share":>6}  {"calls":>6}  op')
    for name, us in sorted(self_us.items(), key=lambda x: -x[1])[:args.top]:
        print(f'{us / 1e3 / args.per:22.1f}  {us / total_us:6.1%}  {calls[name] / args.per:6.1f}  {name}')
    print(f'{total_us / 1e3 / args.per:22.1f}  100.0%          total (top-level events)')


if __name__ == '__main__':
    main()
