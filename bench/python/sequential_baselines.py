#!/usr/bin/env python3
"""Sequential-recommendation baselines on a `prepare --holdout val+test` folder, on the job's protocol.

Input: the per-user file bench/java/PreparedSequences.java writes from the prepared folder
(`# users=U items=N`, then `user<TAB>training items<TAB>validation item<TAB>test item`).

Protocol (the same as the Two-Tower job's with a test split):
  * every model learns from the training items only (each user's items but the last two);
  * hyper-parameters and epochs are chosen on validation: the second-to-last item, ranked from the
    training items;
  * figures are reported on test: the last item, ranked from the training and validation items, once,
    with the chosen setting (no refit);
  * the full catalog is ranked; rank = number of items scoring strictly higher than the held-out item
    (as RetrievalEvaluator); Recall@10 = rank < 10, NDCG@10 = 1 / log2(rank + 2) when rank < 10;
  * "exclude_history": the user's earlier items (all of them) cannot be ranked; the held-out item itself
    always can. "all_items": nothing filtered.

Models: most-popular (training counts, ties to the lower index, as `prepare`'s baseline), item-kNN
(cosine over users' item sets, k nearest per item, k chosen), EASE (Steck 2019, lambda chosen), SASRec
(Kang & McAuley 2018: hidden 64, 2 blocks, 1 head, max length 50, dropout 0.2, Adam 1e-3, batch 128;
--sasrec-loss ce = cross-entropy over the whole catalog at every position, bce = the paper's binary
cross-entropy with one sampled negative per position), epochs chosen on validation within a wall-time cap.

Debian's python3-numpy, python3-scipy and python3-torch (1.13); use /usr/bin/python3.
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import numpy as np
import scipy.sparse as sp

K = 10


def load(path):
    with open(path) as f:
        header = f.readline().split()
        n_users = int(header[1].split('=')[1])
        n_items = int(header[2].split('=')[1])
        train, val, test = [None] * n_users, [-1] * n_users, [-1] * n_users
        for line in f:
            u, seq, v, t = line.rstrip('\n').split('\t')
            u = int(u)
            train[u] = [int(x) for x in seq.split()] if seq else []
            val[u], test[u] = int(v), int(t)
    return n_users, n_items, train, val, test


class Split:
    """One held-out set: rows (user, positive), each row's input history and its seen items."""

    def __init__(self, name, users, positives, histories):
        self.name = name
        self.users = np.asarray(users, dtype=np.int64)
        self.positives = np.asarray(positives, dtype=np.int64)
        self.histories = histories

    def __len__(self):
        return len(self.users)


def splits(train, val, test):
    vu, vp, vh, tu, tp, th = [], [], [], [], [], []
    for u in range(len(train)):
        if val[u] >= 0:
            vu.append(u); vp.append(val[u]); vh.append(train[u])
        if test[u] >= 0:
            tu.append(u); tp.append(test[u]); th.append(train[u] + ([val[u]] if val[u] >= 0 else []))
    return Split('validation', vu, vp, vh), Split('test', tu, tp, th)


def metrics(score_fn, split, n_items, block=256):
    """Recall@10 and NDCG@10 both ways; score_fn(rows) -> float array [len(rows), n_items]."""
    ranks = {'all_items': [], 'exclude_history': []}
    for start in range(0, len(split), block):
        rows = np.arange(start, min(start + block, len(split)))
        scores = np.asarray(score_fn(rows), dtype=np.float64)
        pos = split.positives[rows]
        pos_scores = scores[np.arange(len(rows)), pos][:, None]
        above = scores > pos_scores
        ranks['all_items'].append(above.sum(axis=1))
        for i, r in enumerate(rows):
            seen = np.asarray(split.histories[r], dtype=np.int64)
            seen = seen[seen != pos[i]]
            above[i, seen] = False
        ranks['exclude_history'].append(above.sum(axis=1))
    out = {}
    for way, parts in ranks.items():
        rank = np.concatenate(parts) if parts else np.zeros(0)
        hit = rank < K
        out[way] = {'Recall@10': float(hit.mean()) if len(rank) else 0.0,
                    'NDCG@10': float(np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0).mean()) if len(rank) else 0.0}
    return out


def history_matrix(split, n_items):
    rows, cols = [], []
    for r, h in enumerate(split.histories):
        rows.extend([r] * len(h)); cols.extend(h)
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(split), n_items))
    m.data[:] = 1.0  # repeated items count once
    return m


def train_matrix(train, n_items):
    rows, cols = [], []
    for u, seq in enumerate(train):
        rows.extend([u] * len(seq)); cols.extend(seq)
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(train), n_items))
    m.data[:] = 1.0
    return m


def select(args, val_metrics):
    return val_metrics[args.select_on]['Recall@10']


# ---------------------------------------------------------------- most popular
def most_popular(args, n_items, train, val_split, test_split):
    counts = np.zeros(n_items)
    for seq in train:
        np.add.at(counts, seq, 1)
    # Ties to the lower index, as prepare's baseline.
    score = counts - np.arange(n_items) / (n_items + 1.0)
    fn = lambda rows: np.broadcast_to(score, (len(rows), n_items))
    return {'chosen': {}, 'validation': metrics(fn, val_split, n_items), 'test': metrics(fn, test_split, n_items)}


# ---------------------------------------------------------------- item-kNN
def item_knn(args, n_items, train, val_split, test_split):
    x = train_matrix(train, n_items).tocsc()
    norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    ks = sorted(int(k) for k in args.knn_k.split(','))
    kmax = min(max(ks), n_items - 1)
    xt = x.T.tocsr()
    nbr_idx = np.zeros((n_items, kmax), dtype=np.int64)
    nbr_sim = np.zeros((n_items, kmax), dtype=np.float32)
    for start in range(0, n_items, 1024):
        end = min(start + 1024, n_items)
        block = (xt[start:end] @ x).toarray().astype(np.float32)  # co-occurrence counts
        block /= norms[start:end, None] * norms[None, :]
        block[np.arange(end - start), np.arange(start, end)] = 0.0
        idx = np.argpartition(-block, kmax - 1, axis=1)[:, :kmax]
        sims = np.take_along_axis(block, idx, axis=1)
        order = np.argsort(-sims, axis=1, kind='stable')
        nbr_idx[start:end] = np.take_along_axis(idx, order, axis=1)
        nbr_sim[start:end] = np.take_along_axis(sims, order, axis=1)

    def model(k):
        k = min(k, kmax)
        rows = np.repeat(np.arange(n_items), k)
        return sp.csr_matrix((nbr_sim[:, :k].ravel(), (rows, nbr_idx[:, :k].ravel())), shape=(n_items, n_items))

    def scorer(split, s):
        h = history_matrix(split, n_items)
        return lambda rows: (h[rows] @ s).toarray()

    tried, best = {}, None
    for k in ks:
        m = metrics(scorer(val_split, model(k)), val_split, n_items)
        tried[k] = m
        print(f"  item-kNN k={k}: validation Recall@10 {m['exclude_history']['Recall@10']:.4f} (seen excluded), "
              f"{m['all_items']['Recall@10']:.4f} (all)", flush=True)
        if best is None or select(args, m) > select(args, tried[best]):
            best = k
    return {'chosen': {'k': best}, 'validation': tried[best],
            'test': metrics(scorer(test_split, model(best)), test_split, n_items),
            'tried': {str(k): v for k, v in tried.items()}}


# ---------------------------------------------------------------- EASE
def ease(args, n_items, train, val_split, test_split):
    if n_items > args.ease_max_items:
        print(f"  EASE skipped: {n_items} items > --ease-max-items {args.ease_max_items} (a dense item x item inverse)")
        return None
    x = train_matrix(train, n_items)
    gram = (x.T @ x).toarray().astype(np.float64)
    diag = np.arange(n_items)

    def model(lam):
        g = gram.copy()
        g[diag, diag] += lam
        p = np.linalg.inv(g)
        b = p / (-np.diag(p))
        b[diag, diag] = 0.0
        return b.astype(np.float32)

    def scorer(split, b):
        h = history_matrix(split, n_items)
        return lambda rows: np.asarray(h[rows] @ b)

    tried, best, best_b = {}, None, None
    for lam in (float(v) for v in args.ease_lambda.split(',')):
        b = model(lam)
        m = metrics(scorer(val_split, b), val_split, n_items)
        tried[lam] = m
        print(f"  EASE lambda={lam:g}: validation Recall@10 {m['exclude_history']['Recall@10']:.4f} (seen excluded), "
              f"{m['all_items']['Recall@10']:.4f} (all)", flush=True)
        if best is None or select(args, m) > select(args, tried[best]):
            best, best_b = lam, b
    return {'chosen': {'lambda': best}, 'validation': tried[best],
            'test': metrics(scorer(test_split, best_b), test_split, n_items),
            'tried': {f"{k:g}": v for k, v in tried.items()}}


# ---------------------------------------------------------------- SASRec
def sasrec(args, n_items, train, val_split, test_split, loss):
    import torch
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    L, d = args.sasrec_maxlen, 64

    class PointWiseFeedForward(torch.nn.Module):
        def __init__(self, d, p):
            super().__init__()
            self.conv1, self.conv2 = torch.nn.Conv1d(d, d, 1), torch.nn.Conv1d(d, d, 1)
            self.drop1, self.drop2, self.relu = torch.nn.Dropout(p), torch.nn.Dropout(p), torch.nn.ReLU()

        def forward(self, x):  # the paper's code: conv1d over (batch, d, length), residual outside
            y = self.drop2(self.conv2(self.relu(self.drop1(self.conv1(x.transpose(-1, -2))))))
            return y.transpose(-1, -2) + x

    class SASRec(torch.nn.Module):
        """pmixer/SASRec.pytorch's model (the authors' TF code ported): item 0 is padding."""

        def __init__(self, n, blocks=2, heads=1, p=0.2):
            super().__init__()
            self.item_emb = torch.nn.Embedding(n + 1, d, padding_idx=0)
            self.pos_emb = torch.nn.Embedding(L, d)
            self.emb_drop = torch.nn.Dropout(p)
            self.attn_ln = torch.nn.ModuleList(torch.nn.LayerNorm(d, eps=1e-8) for _ in range(blocks))
            self.attn = torch.nn.ModuleList(torch.nn.MultiheadAttention(d, heads, p) for _ in range(blocks))
            self.fwd_ln = torch.nn.ModuleList(torch.nn.LayerNorm(d, eps=1e-8) for _ in range(blocks))
            self.fwd = torch.nn.ModuleList(PointWiseFeedForward(d, p) for _ in range(blocks))
            self.last_ln = torch.nn.LayerNorm(d, eps=1e-8)

        def encode(self, seqs):  # seqs: [B, L] item ids + 1, 0 = padding; left-padded
            x = self.item_emb(seqs) * (d ** 0.5)
            x = x + self.pos_emb(torch.arange(seqs.shape[1]).unsqueeze(0))
            x = self.emb_drop(x)
            keep = (seqs != 0).unsqueeze(-1)
            x = x * keep
            causal = ~torch.tril(torch.ones(seqs.shape[1], seqs.shape[1], dtype=torch.bool))
            for ln, attn, fln, fwd in zip(self.attn_ln, self.attn, self.fwd_ln, self.fwd):
                x = x.transpose(0, 1)
                q = ln(x)
                out, _ = attn(q, x, x, attn_mask=causal)
                x = (q + out).transpose(0, 1)
                x = fwd(fln(x)) * keep
            return self.last_ln(x)

        def catalog(self):
            return self.item_emb.weight[1:]

    model = SASRec(n_items)
    for name, param in model.named_parameters():
        try:
            torch.nn.init.xavier_normal_(param.data)
        except ValueError:
            pass  # 1-d parameters (biases, LayerNorm) keep their defaults, as the reference implementation
    with torch.no_grad():
        model.item_emb.weight[0].zero_()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))

    def padded(seq):
        s = [i + 1 for i in seq[-L:]]
        return [0] * (L - len(s)) + s

    users = [u for u, seq in enumerate(train) if len(seq) >= 2]
    seen_sets = [set(seq) for seq in train]
    inputs = torch.tensor([padded(train[u][:-1]) for u in users], dtype=torch.long)
    targets = torch.tensor([padded(train[u][1:]) for u in users], dtype=torch.long)

    def scorer(split):
        hist = torch.tensor([padded(h) for h in split.histories], dtype=torch.long)

        def fn(rows):
            with torch.no_grad():
                h = model.encode(hist[torch.as_tensor(rows)])[:, -1, :]
                return (h @ model.catalog().T).numpy()
        return fn

    def negatives(batch_users, tgt):
        neg = rng.integers(1, n_items + 1, size=tgt.shape)
        for r, u in enumerate(batch_users):  # one item per position the user never interacted with
            for c in range(tgt.shape[1]):
                while neg[r, c] - 1 in seen_sets[u]:
                    neg[r, c] = rng.integers(1, n_items + 1)
        return torch.as_tensor(neg)

    deadline = time.time() + args.minutes * 60
    best, best_epoch, best_state, history, epoch = None, 0, None, [], 0
    bce = torch.nn.BCEWithLogitsLoss(reduction='sum')
    while epoch < args.sasrec_epochs and time.time() < deadline and epoch - best_epoch < args.sasrec_patience:
        epoch += 1
        model.train()
        order = rng.permutation(len(users))
        total, count = 0.0, 0
        for start in range(0, len(order), 128):
            idx = order[start:start + 128]
            inp, tgt = inputs[idx], targets[idx]
            out = model.encode(inp)
            mask = tgt != 0
            if loss == 'ce':
                logits = out[mask] @ model.catalog().T
                l = torch.nn.functional.cross_entropy(logits, tgt[mask] - 1)
            else:
                neg = negatives([users[i] for i in idx], tgt)
                pos_logit = (out * model.item_emb(tgt)).sum(-1)[mask]
                neg_logit = (out * model.item_emb(neg)).sum(-1)[mask]
                l = (bce(pos_logit, torch.ones_like(pos_logit)) + bce(neg_logit, torch.zeros_like(neg_logit))) / mask.sum()
            opt.zero_grad()
            l.backward()
            opt.step()
            total += float(l) * len(idx); count += len(idx)
            if time.time() > deadline:
                break
        if epoch % args.sasrec_eval_every and time.time() < deadline and epoch < args.sasrec_epochs:
            continue
        model.eval()
        m = metrics(scorer(val_split), val_split, n_items)
        history.append({'epoch': epoch, 'loss': total / max(count, 1), 'validation': m})
        print(f"  SASRec ({loss}) epoch {epoch}: loss {total / max(count, 1):.4f}, validation Recall@10 "
              f"{m['exclude_history']['Recall@10']:.4f} (seen excluded), {m['all_items']['Recall@10']:.4f} (all)",
              flush=True)
        if best is None or select(args, m) > select(args, best):
            best, best_epoch = m, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    if best_state is None:
        return None
    model.load_state_dict(best_state)
    model.eval()
    return {'chosen': {'epoch': best_epoch, 'epochs_run': epoch, 'loss': loss,
                       'stopped_by': 'time' if time.time() >= deadline else
                       'epochs' if epoch >= args.sasrec_epochs else 'patience'},
            'validation': best, 'test': metrics(scorer(test_split), test_split, n_items), 'epochs': history}


MODELS = {
    'most_popular': most_popular,
    'item_knn': item_knn,
    'ease': ease,
    'sasrec_ce': lambda *a: sasrec(*a, loss='ce'),
    'sasrec_bce': lambda *a: sasrec(*a, loss='bce'),
}


def table(results):
    lines = ['| model | chosen on validation | validation Recall@10 (seen excl.) | test Recall@10 (seen excl.) | '
             'test NDCG@10 (seen excl.) | test Recall@10 (all items) | test NDCG@10 (all items) | seconds |',
             '|---|---|---|---|---|---|---|---|']
    for name, r in results.items():
        if r is None:
            lines.append(f'| {name} | skipped | | | | | | |')
            continue
        chosen = ', '.join(f'{k} {v}' for k, v in r['chosen'].items()) or '-'
        t, v = r['test'], r['validation']
        lines.append(f"| {name} | {chosen} | {v['exclude_history']['Recall@10']:.4f} | "
                     f"{t['exclude_history']['Recall@10']:.4f} | {t['exclude_history']['NDCG@10']:.4f} | "
                     f"{t['all_items']['Recall@10']:.4f} | {t['all_items']['NDCG@10']:.4f} | {r['seconds']:.0f} |")
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sequences', required=True, help='the file PreparedSequences.java wrote')
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--select-on', choices=['exclude_history', 'all_items'], default='exclude_history',
                    help='the validation Recall@10 that chooses hyper-parameters and epochs')
    ap.add_argument('--knn-k', default='10,20,50,100,200,500')
    ap.add_argument('--ease-lambda', default='100,200,500,1000,2000')
    ap.add_argument('--ease-max-items', type=int, default=20000)
    ap.add_argument('--minutes', type=float, default=10.0, help='wall-time cap of each SASRec run')
    ap.add_argument('--sasrec-epochs', type=int, default=200)
    ap.add_argument('--sasrec-eval-every', type=int, default=5)
    ap.add_argument('--sasrec-patience', type=int, default=30, help='epochs without a validation improvement')
    ap.add_argument('--sasrec-maxlen', type=int, default=50)
    ap.add_argument('--json-out')
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    n_users, n_items, train, val, test = load(args.sequences)
    val_split, test_split = splits(train, val, test)
    print(f"{n_users} users, {n_items} items, {sum(map(len, train))} training items, "
          f"{len(val_split)} validation rows, {len(test_split)} test rows", flush=True)
    results = {}
    for name in args.models.split(','):
        if name not in MODELS:
            sys.exit(f"error: unknown model '{name}' (--models from {','.join(MODELS)})")
        print(f"{name}:", flush=True)
        start = time.time()
        r = MODELS[name](args, n_items, train, val_split, test_split)
        if r is not None:
            r['seconds'] = time.time() - start
        results[name] = r
    print()
    print(table(results))
    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump({'protocol': 'prepare --holdout val+test; full catalog; chosen on validation, reported on test',
                       'select_on': args.select_on, 'threads': args.threads, 'seed': args.seed,
                       'sasrec_minutes': args.minutes, 'users': n_users, 'items': n_items, 'results': results},
                      f, indent=2)


if __name__ == '__main__':
    main()
