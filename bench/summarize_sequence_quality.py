#!/usr/bin/env python3
"""Summarizes bench/run-sequence-quality.sh's output folder: one markdown table of test figures (mean +- standard
deviation over seeds where a model has several), with the validation figure that chose each model and the seconds."""
import glob
import json
import os
import statistics
import sys

METRICS = [('exclude_history', 'Recall@10'), ('exclude_history', 'NDCG@10'), ('all_items', 'Recall@10'),
           ('all_items', 'NDCG@10')]


def fmt(values, digits=4):
    if not values:
        return ''
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}'


def row(name, runs, chosen):
    cells = [name, str(len(runs)), chosen, fmt([r['validation'] for r in runs])]
    cells += [fmt([r['test'][group][metric] for r in runs]) for group, metric in METRICS]
    cells.append(fmt([r['seconds'] for r in runs], 0))
    return '| ' + ' | '.join(cells) + ' |'


def main(out):
    lines = ['| model | seeds | chosen on validation | validation Recall@10 (seen excl.) | test Recall@10 (seen excl.) | '
             'test NDCG@10 (seen excl.) | test Recall@10 (all items) | test NDCG@10 (all items) | seconds |',
             '|---|---|---|---|---|---|---|---|---|']
    path = os.path.join(out, 'baselines.json')
    if os.path.exists(path):
        for name, r in json.load(open(path))['results'].items():
            chosen = ', '.join(f'{k} {v}' for k, v in r['chosen'].items()) or '-'
            lines.append(row(name, [{'validation': r['validation']['exclude_history']['Recall@10'],
                                     'test': r['test'], 'seconds': r['seconds']}], chosen))
    sasrec = []
    for path in sorted(glob.glob(os.path.join(out, 'sasrec-*.json'))):
        r = json.load(open(path))['results']['sasrec_ce']
        sasrec.append({'validation': r['validation']['exclude_history']['Recall@10'], 'test': r['test'],
                       'seconds': r['seconds'], 'epoch': r['chosen']['epoch']})
    if sasrec:
        lines.append(row('SASRec (cross-entropy)', sasrec, 'epochs ' + ', '.join(str(r['epoch']) for r in sasrec)))
    configs = {}
    for folder in sorted(glob.glob(os.path.join(out, 'ours-*-*'))):
        if not os.path.isdir(folder) or not os.path.exists(os.path.join(folder, 'twotower_results.json')):
            continue  # not a run folder, or a run still going
        name = os.path.basename(folder)[len('ours-'):].rsplit('-', 1)[0]
        results = json.load(open(os.path.join(folder, 'twotower_results.json')))
        seconds = float(open(folder + '.seconds').read())
        configs.setdefault(name, []).append({'validation': results['best_recall'], 'test': results['test_metrics'],
                                             'seconds': seconds, 'epoch': results['best_epoch']})
    for name, runs in configs.items():
        file, _, overrides = name.partition('+')
        label = f'ours: conf/twotower-{file}.yaml' + ''.join(f' --set {o}' for o in overrides.split('+') if o)
        lines.append(row(label, runs,
                         'epochs ' + ', '.join(str(r['epoch']) for r in runs)))
    print('\n'.join(lines))


if __name__ == '__main__':
    main(sys.argv[1])
