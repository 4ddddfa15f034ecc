"""Pieces shared by reference_notebook.py and reference_fast.py.

Both scripts must train the same model with the same hyper-parameters, read the
same input and report the same figures, so those parts live here once; what
differs between them (data pipeline, negative sampling, forward pass, eval) stays
in each script.  The model class is copied verbatim from the notebook.
"""
import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

# Notebook section 1, unchanged.  Only 'epochs' and 'seed' can be overridden on
# the command line.
CFG = {
    'd_model': 256,
    'batch_size': 512,
    'accum_steps': 2,
    'epochs': 50,
    'patience': 6,
    'lr': 5e-4,
    'weight_decay': 1e-4,
    'dropout': 0.2,
    'eval_topk': 10,
    'seed': 42,
    'k_neg': 50,
    'fixed_logit_scale': 10.0,
}


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--data', required=True,
                    help='folder with sequences_{train,val}.csv, item_id_map.csv, customer_id_map.csv')
    ap.add_argument('--epochs', type=int, default=CFG['epochs'], help='max epochs (notebook: 50)')
    ap.add_argument('--threads', type=int, default=2, help='torch.set_num_threads')
    ap.add_argument('--seed', type=int, default=CFG['seed'])
    ap.add_argument('--max-train-rows', type=int, default=None,
                    help='train on a random subsample of this many rows (quick runs)')
    ap.add_argument('--select-on', choices=('exact', 'batch-mean'), default='exact',
                    help='Recall@K variant that drives ReduceLROnPlateau and early stopping; '
                         'the notebook uses the mean of per-batch recalls (batch-mean)')
    ap.add_argument('--json-out', default=None, help='write all figures here as JSON')
    args = ap.parse_args()
    CFG['epochs'] = args.epochs
    CFG['seed'] = args.seed
    return args


def load_data(folder, max_train_rows=None, seed=0):
    """Read the CSV version of the notebook's input folder.

    history_idx is forced to str so that a one-item history stays "123" rather
    than becoming a float; empty cells still read as NaN, which is what the
    notebook's pd.notna() test expects.
    """
    dtypes = {'user_idx': np.int64, 'pos_item_idx': np.int64, 'history_idx': str}
    seq_train = pd.read_csv(os.path.join(folder, 'sequences_train.csv'), dtype=dtypes)
    seq_val = pd.read_csv(os.path.join(folder, 'sequences_val.csv'), dtype=dtypes)
    # Only the row counts of the maps matter (they size the embedding tables).
    n_items = len(pd.read_csv(os.path.join(folder, 'item_id_map.csv')))
    n_users = len(pd.read_csv(os.path.join(folder, 'customer_id_map.csv')))
    if max_train_rows is not None and max_train_rows < len(seq_train):
        # A private RandomState, so subsampling does not shift the global numpy
        # stream the notebook's Dataset draws negatives from.
        seq_train = seq_train.sample(n=max_train_rows, random_state=np.random.RandomState(seed))
        seq_train = seq_train.reset_index(drop=True)
    print(f"Train sequences: {len(seq_train)}")
    print(f"Val   sequences: {len(seq_val)}")
    print(f"# items: {n_items}, # users: {n_users}")
    return seq_train, seq_val, n_items, n_users


class TwoTowerModel(nn.Module):
    """Notebook section 3, verbatim."""

    def __init__(self, n_users, n_items, d_model, dropout):
        super().__init__()
        # Embeddings
        self.user_emb = nn.Embedding(n_users, d_model)
        self.item_emb = nn.Embedding(n_items, d_model)

        # MLP towers
        def make_tower():
            return nn.Sequential(
                nn.Linear(d_model, d_model), nn.LayerNorm(d_model), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(d_model, d_model), nn.LayerNorm(d_model), nn.ReLU(), nn.Dropout(dropout)
            )
        self.user_mlp = make_tower()
        self.item_mlp = make_tower()
        # init
        nn.init.normal_(self.user_emb.weight, 0, 0.1)
        nn.init.normal_(self.item_emb.weight, 0, 0.1)

    def user_vec(self, uids):
        u = self.user_emb(uids); return F.normalize(self.user_mlp(u), p=2, dim=1)

    def item_vec(self, iids):
        v = self.item_emb(iids); return F.normalize(self.item_mlp(v), p=2, dim=1)

    def forward(self, uids, pos_i, neg_i=None):
        u_vec = self.user_vec(uids)
        pos_vec = self.item_vec(pos_i)
        pos_scores = (u_vec * pos_vec).sum(1) * CFG['fixed_logit_scale']
        if neg_i is None:
            return pos_scores
        neg_vecs = self.item_vec(neg_i.view(-1)).view(uids.size(0), -1, u_vec.size(-1))
        neg_scores = torch.sum(u_vec.unsqueeze(1) * neg_vecs, dim=2) * CFG['fixed_logit_scale']
        return pos_scores, neg_scores


def make_optim(model):
    """Notebook section 5."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG['lr'], weight_decay=CFG['weight_decay'])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', factor=0.5, patience=3)
    return optimizer, scheduler


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == 'darwin' else rss / 1024


class Timer:
    """Accumulates wall time of the `with` blocks it wraps."""

    def __init__(self):
        self.total = 0.0

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.total += time.perf_counter() - self._t0
        return False


class Trainer:
    """The notebook's end-of-epoch bookkeeping plus the benchmark's reporting.

    Keeps the notebook's semantics: ReduceLROnPlateau steps on the selection
    recall, the best model is the first epoch with a strictly higher recall, and
    training stops after `patience` epochs without improvement.
    """

    def __init__(self, script, args, n_train, n_val, n_items, n_users):
        self.args = args
        self.t_start = time.perf_counter()
        self.best_recall = 0.0
        self.best_epoch = None
        self.patience_counter = 0
        self.early_stopped = False
        self.epochs = []
        self._cpu_mark = self._cpu_s()
        self.report = {
            'script': script,
            'config': dict(CFG),
            'args': vars(args),
            'data': {'dir': os.path.abspath(args.data), 'train_rows': n_train, 'val_rows': n_val,
                     'n_items': n_items, 'n_users': n_users},
            'env': {'python': platform.python_version(), 'torch': torch.__version__,
                    'numpy': np.__version__, 'threads': torch.get_num_threads(),
                    'machine': platform.machine(), 'cpus': os.cpu_count(),
                    'env': {v: os.environ.get(v) for v in
                            ('OMP_WAIT_POLICY', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS')}},
            'epochs': self.epochs,
        }

    @staticmethod
    def _cpu_s():
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime

    def end_epoch(self, epoch, scheduler, optimizer, *, avg_loss, recall_exact, recall_batch_mean,
                  n_examples, sampling_s, compute_s, eval_s, epoch_s):
        """Record and print one epoch; return True when early stopping triggers."""
        k = CFG['eval_topk']
        train_s = sampling_s + compute_s
        lr = optimizer.param_groups[0]['lr']         # the lr this epoch trained with
        recall = recall_exact if self.args.select_on == 'exact' else recall_batch_mean
        scheduler.step(recall)
        rec = {
            'epoch': epoch, 'loss': avg_loss,
            'recall_exact': recall_exact, 'recall_batch_mean': recall_batch_mean,
            'examples': n_examples, 'examples_per_s': n_examples / train_s,
            'sampling_s': sampling_s, 'compute_s': compute_s, 'train_s': train_s,
            'eval_s': eval_s, 'epoch_s': epoch_s, 'lr': lr, 'peak_rss_mb': peak_rss_mb(),
            # Other work on a shared box skews timings; these two make it visible.
            'process_cpu_s': self._cpu_s() - self._cpu_mark, 'loadavg_1m': os.getloadavg()[0],
        }
        self._cpu_mark = self._cpu_s()
        self.epochs.append(rec)
        print(f"Epoch {epoch}: Loss={avg_loss:.4f}, Recall@{k}={recall_exact:.4f} (exact), "
              f"examples/s={rec['examples_per_s']:.0f}, sampling_s={sampling_s:.2f}, "
              f"compute_s={compute_s:.2f} | Recall@{k}={recall_batch_mean:.4f} (batch-mean), "
              f"eval_s={eval_s:.2f}, epoch_s={epoch_s:.2f}, lr={lr:.2e}, "
              f"peak_rss_mb={rec['peak_rss_mb']:.0f}", flush=True)
        if recall > self.best_recall:
            self.best_recall = recall; self.best_epoch = epoch; self.patience_counter = 0
        else:
            self.patience_counter += 1
            if self.patience_counter >= CFG['patience']:
                print("Early stopping.")
                self.early_stopped = True
        return self.early_stopped

    def finish(self):
        k = CFG['eval_topk']
        total_s = time.perf_counter() - self.t_start
        print(f"Best validation Recall@{k} ({self.args.select_on}): {self.best_recall:.4f} "
              f"(epoch {self.best_epoch})")
        train_s = sum(e['train_s'] for e in self.epochs)
        n = sum(e['examples'] for e in self.epochs)
        self.report.update({
            'select_on': self.args.select_on,
            'best_recall': self.best_recall, 'best_epoch': self.best_epoch,
            'best_recall_exact': max((e['recall_exact'] for e in self.epochs), default=None),
            'early_stopped': self.early_stopped,
            'mean_examples_per_s': n / train_s if train_s else None,
            'total_sampling_s': sum(e['sampling_s'] for e in self.epochs),
            'total_compute_s': sum(e['compute_s'] for e in self.epochs),
            'total_s': total_s, 'peak_rss_mb': peak_rss_mb(),
        })
        if self.args.json_out:
            with open(self.args.json_out, 'w') as f:
                json.dump(self.report, f, indent=2)
            print(f"Wrote {self.args.json_out}")
