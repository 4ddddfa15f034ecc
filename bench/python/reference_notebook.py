#!/usr/bin/env python3
"""Faithful port of the Two-Tower notebook's training (sections 1-6).

This is the yardstick the Flink/DJL job is compared against, so the training
code is kept as the notebook wrote it, slow parts included:

  * model, init, AdamW, ReduceLROnPlateau(max, 0.5, 3), accumulation over 2
    batches, early stopping with patience 6 -- all as in the notebook;
  * per-example negatives drawn in Dataset.__getitem__ from
    set(range(n_items)) - forbid with np.random.choice (without replacement),
    collated with pad_sequence, DataLoader(shuffle=True, num_workers=0);
  * the same RNG calls in the same order (torch.manual_seed / np.random.seed
    first; the validation loader also draws negatives it never uses), so a run
    replays the notebook's random streams for a given seed;
  * the notebook's quirks are kept: when the number of batches is odd the last
    accumulated gradient is not stepped and leaks into the next epoch, and the
    average loss divides by the number of batches.

Deliberate differences:
  (a) Recall@K is also computed exactly (hits / rows over the full catalog); the
      notebook's mean of per-batch means is printed next to it.  --select-on
      picks which one drives the scheduler and early stopping (default exact;
      'batch-mean' reproduces the notebook).
  (b) CLI (--data, --epochs, --threads, --seed, --max-train-rows, --json-out),
      CSV input instead of parquet, timing/RSS reporting, and no checkpoint or
      embedding files are written.

Timing: with num_workers=0 the DataLoader runs __getitem__ and collate_fn in the
main thread inside next(), so timing next() measures negative sampling + batch
assembly; everything from .to(device) to optimizer.step is "compute".
"""
import os
# Must precede `import torch`: libgomp reads it when loaded.  On this 2-core box
# torch's OpenMP workers spin-wait between ops while OpenBLAS (Debian's torch
# calls it for every matmul) runs its own pthreads, and the two pools fight for
# the cores: measured compute time varied 2-4x run to run.  Passive waiting
# makes timings stable and faster; both scripts set it so they compare fairly.
# Set the variable in the shell to override.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

from twotower_common import CFG, Timer, Trainer, TwoTowerModel, load_data, make_optim, parse_args


# Notebook section 4, verbatim.
class SequenceDataset(Dataset):
    def __init__(self, df, n_items, k_neg):
        self.df = df; self.n_items = n_items; self.k_neg = k_neg

    def __len__(self): return len(self.df)

    def __getitem__(self, idx):
        row = self.df.iloc[idx]
        u = torch.tensor(int(row['user_idx']), dtype=torch.long)
        pos = torch.tensor(int(row['pos_item_idx']), dtype=torch.long)
        hist = []
        if pd.notna(row['history_idx']): hist = [int(x) for x in row['history_idx'].split()]
        # sample negatives
        forbid = set(hist + [int(pos)])
        avail = list(set(range(self.n_items)) - forbid)
        neg = np.random.choice(avail, size=self.k_neg, replace=len(avail) < self.k_neg)
        return {'user': u, 'pos': pos, 'neg': torch.tensor(neg, dtype=torch.long),
                'hist': torch.tensor(hist, dtype=torch.long)}


def collate_fn(batch):
    users = torch.stack([b['user'] for b in batch])
    pos = torch.stack([b['pos'] for b in batch])
    neg = torch.stack([b['neg'] for b in batch])
    hists = pad_sequence([b['hist'] for b in batch], batch_first=True, padding_value=-1)
    mask = (hists >= 0)
    return {'user': users, 'pos': pos, 'neg': neg, 'hist': hists, 'mask': mask}


def in_batch_loss(pos_s, neg_s, device):
    # Despite the name these are the sampled negatives: positive logit at index 0.
    logits = torch.cat([pos_s.unsqueeze(1), neg_s], dim=1)
    labels = torch.zeros(pos_s.size(0), dtype=torch.long, device=device)
    return F.cross_entropy(logits, labels)


def evaluate(model, val_loader, n_items, device):
    """Notebook's validation loop, plus an exact hit count.

    Returns (exact recall, notebook's mean of per-batch recalls).
    """
    model.eval(); hits = []; n_hit = 0; n_rows = 0
    with torch.no_grad():
        for batch in val_loader:
            u = batch['user'].to(device)
            p = batch['pos'].to(device)
            u_vec = model.user_vec(u)
            all_items = torch.arange(n_items, device=device)
            i_vecs = model.item_vec(all_items)
            scores = u_vec @ i_vecs.T
            topk = scores.topk(CFG['eval_topk'], dim=1).indices
            hit = (topk == p.unsqueeze(1)).any(1)
            hits.append(hit.float().mean().item())
            n_hit += int(hit.sum()); n_rows += hit.numel()
    return n_hit / n_rows, float(np.mean(hits))


def main():
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(args.threads)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    # Reproducibility (notebook section 1)
    torch.manual_seed(CFG['seed'])
    np.random.seed(CFG['seed'])

    seq_train, seq_val, n_items, n_users = load_data(args.data, args.max_train_rows, CFG['seed'])

    train_ds = SequenceDataset(seq_train, n_items, CFG['k_neg'])
    val_ds = SequenceDataset(seq_val, n_items, CFG['k_neg'])
    train_loader = DataLoader(train_ds, batch_size=CFG['batch_size'], shuffle=True, collate_fn=collate_fn)
    val_loader = DataLoader(val_ds, batch_size=CFG['batch_size'], shuffle=False, collate_fn=collate_fn)
    print(f"Train batches: {len(train_loader)}, Val batches: {len(val_loader)}")

    model = TwoTowerModel(n_users, n_items, CFG['d_model'], CFG['dropout']).to(device)
    optimizer, scheduler = make_optim(model)
    trainer = Trainer('reference_notebook', args, len(train_ds), len(val_ds), n_items, n_users)

    for epoch in range(1, CFG['epochs'] + 1):
        t_epoch = time.perf_counter()
        sampling, compute = Timer(), Timer()
        model.train(); total_loss = 0.0
        batches = iter(train_loader)
        i = 0
        while True:
            with sampling:
                batch = next(batches, None)
            if batch is None:
                break
            i += 1
            with compute:
                u = batch['user'].to(device)
                p = batch['pos'].to(device)
                n = batch['neg'].to(device)
                pos_s, neg_s = model(u, p, n)
                loss = in_batch_loss(pos_s, neg_s, device) / CFG['accum_steps']
                loss.backward()
                if i % CFG['accum_steps'] == 0:
                    optimizer.step(); optimizer.zero_grad()
                total_loss += loss.item() * CFG['accum_steps']
        avg_loss = total_loss / len(train_loader)

        with Timer() as t_eval:
            recall_exact, recall_batch_mean = evaluate(model, val_loader, n_items, device)
        stop = trainer.end_epoch(
            epoch, scheduler, optimizer, avg_loss=avg_loss, recall_exact=recall_exact,
            recall_batch_mean=recall_batch_mean, n_examples=len(train_ds),
            sampling_s=sampling.total, compute_s=compute.total, eval_s=t_eval.total,
            epoch_s=time.perf_counter() - t_epoch)
        if stop:
            break
    trainer.finish()


if __name__ == '__main__':
    main()
