#!/usr/bin/env python3
"""Golden values for `model: sequence`: a causal self-attention user tower (SASRec's blocks) over the item table.

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/make_sequence_golden.py
It writes model/src/test/resources/golden/sequence_golden.json (committed, so CI needs no PyTorch).

This file is the definition of the sequence tower; the Java model (io.twotower.model.SequenceEncoder), the numpy
reader (tools/snapshots/read_snapshot.py) and the plain-Java reader of `recommend` all compute what `encode` computes:

  input   a user's most recent items h[0..m) (oldest first, m <= max_length), left-padded to L = max_length slots:
          slot j holds h[j - (L - m)] for j >= L - m, and is padding below that
  x       = item_embedding[h] * sqrt(d) + position_embedding[slot]    (the latest item is always in slot L - 1)
          dropout, then padded slots set to 0
  block   q = LayerNorm_attn(x); a = MultiheadAttention(q, x, x) where slot i attends to slot j only if j <= i and j
          is not padding (an additive mask of -1e9, so a padded slot never moves a real one); x = q + a;
          x = LayerNorm_ffn(x); x = x + dropout(W_out relu(dropout(W_in x + b_in)) + b_out); padded slots set to 0
  output  LayerNorm_last(x); the user vector is the last slot's row; every slot's row predicts the item after it.
  scores  with item_tower_mlp false (SASRec): user_vector . item_embedding[i]; with true: the cosine of the user vector
          and the item tower's output (the notebook's MLP and L2 norm) times fixed_logit_scale.

LayerNorm epsilon 1e-8 (SASRec's); attention dropout = dropout. Unlike SASRec, padded slots are masked as keys too, so
a user vector does not depend on how much padding a history has (a reader may compute it unpadded).
Training every position: a window (history h, next item p) predicts h[1..m) and p from slots L-m .. L-1; the loss is the
mean cross-entropy over those predictions (negatives: full softmax over the catalog; in_batch: over the batch's distinct
targets). Parameters, in the Java model's order: the item tower's 9 (as the notebook's), then `encoder.*` below.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

N_ITEMS, D, L, BLOCKS, HEADS = 12, 8, 5, 2, 2
LR, WD = 0.01, 0.1
SCALE = 10.0
LN_EPS = 1e-8
MASKED = -1e9


class Block(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.attn_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = nn.MultiheadAttention(d, heads, dropout=p, batch_first=True)
        self.ffn_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.ffn_in = nn.Linear(d, d)
        self.ffn_out = nn.Linear(d, d)
        self.drop1, self.drop2 = nn.Dropout(p), nn.Dropout(p)

    def forward(self, x, mask):
        q = self.attn_norm(x)
        a, _ = self.attn(q, x, x, attn_mask=mask, need_weights=False)
        x = self.ffn_norm(q + a)
        return x + self.drop2(self.ffn_out(torch.relu(self.drop1(self.ffn_in(x)))))


class SequenceEncoder(nn.Module):
    def __init__(self, d, max_len, blocks, heads, p):
        super().__init__()
        self.position = nn.Embedding(max_len, d)
        self.drop = nn.Dropout(p)
        self.blocks = nn.ModuleList(Block(d, heads, p) for _ in range(blocks))
        self.last_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.heads = heads

    def forward(self, table, slots, valid):
        """slots: (B, L) item ids (anything where invalid); valid: (B, L) bool. Returns (B, L, d)."""
        b, length = slots.shape
        x = F.embedding(slots, table) * math.sqrt(table.shape[1]) + self.position.weight[:length].unsqueeze(0)
        keep = valid.unsqueeze(-1).float()
        x = self.drop(x) * keep
        allowed = torch.tril(torch.ones(length, length, dtype=torch.bool)).unsqueeze(0) & valid.unsqueeze(1)
        mask = torch.zeros(b, length, length).masked_fill(~allowed, MASKED)
        mask = mask.repeat_interleave(self.heads, dim=0)  # (B * heads, L, L), as MultiheadAttention wants
        for block in self.blocks:
            x = block(x, mask) * keep
        return self.last_norm(x)


class SequenceTwoTower(nn.Module):
    def __init__(self, n_items, d, max_len, blocks, heads, p):
        super().__init__()
        self.item_emb = nn.Embedding(n_items, d)
        self.item_mlp = nn.Sequential(
            nn.Linear(d, d), nn.LayerNorm(d), nn.ReLU(), nn.Dropout(p),
            nn.Linear(d, d), nn.LayerNorm(d), nn.ReLU(), nn.Dropout(p))
        self.encoder = SequenceEncoder(d, max_len, blocks, heads, p)

    def encode(self, histories):
        slots, valid = left_padded(histories)
        return self.encoder(self.item_emb.weight, slots, valid), valid

    def item_vectors(self, ids, mlp):
        v = self.item_emb(ids)
        return F.normalize(self.item_mlp(v), p=2, dim=1) if mlp else v


def left_padded(histories):
    slots = torch.zeros(len(histories), L, dtype=torch.long)
    valid = torch.zeros(len(histories), L, dtype=torch.bool)
    for r, h in enumerate(histories):
        h = h[-L:]
        slots[r, L - len(h):] = torch.tensor(h, dtype=torch.long)
        valid[r, L - len(h):] = True
    return slots, valid


def window_targets(histories, positives):
    """Slot j's target: the item after it (the next history item, or the row's positive at the last slot)."""
    targets = torch.full((len(histories), L), -1, dtype=torch.long)
    for r, (h, p) in enumerate(zip(histories, positives)):
        h = h[-L:]
        nxt = h[1:] + [p]
        targets[r, L - len(h):] = torch.tensor(nxt, dtype=torch.long)
    return targets


def every_position_loss(model, batch, negatives, mlp=False):
    out, valid = model.encode(batch["histories"])
    targets = window_targets(batch["histories"], batch["positives"])
    u = out[valid]
    t = targets[valid]
    if mlp:
        u = F.normalize(u, p=2, dim=1)
    if negatives == "full":
        v = model.item_vectors(torch.arange(N_ITEMS), mlp)
        logits = u @ v.T
        if mlp:
            logits = logits * SCALE
        return F.cross_entropy(logits, t)
    # in_batch: the distinct targets of the batch, in order of first appearance
    distinct = list(dict.fromkeys(t.tolist()))
    v = model.item_vectors(torch.tensor(distinct), mlp)
    logits = u @ v.T
    if mlp:
        logits = logits * SCALE
    slot = torch.tensor([distinct.index(i) for i in t.tolist()])
    return F.cross_entropy(logits, slot)


def last_position_loss(model, batch):
    out, _ = model.encode(batch["histories"])
    u = out[:, -1]
    logits = u @ model.item_emb.weight.T
    return F.cross_entropy(logits, torch.tensor(batch["positives"]))


def state(model):
    return {k: v.detach().tolist() for k, v in model.state_dict().items()}


def main():
    torch.manual_seed(11)
    model = SequenceTwoTower(N_ITEMS, D, L, BLOCKS, HEADS, 0.0)
    with torch.no_grad():  # non-zero biases and norms, so a swapped weight and bias shows
        for name, p in model.encoder.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    model.train()
    batches = [
        {"histories": [[3, 7, 1, 9, 4], [5, 11], [6]], "positives": [2, 0, 8]},
        {"histories": [[10, 2, 2, 5], [1, 3, 7, 1, 9, 4, 2]], "positives": [6, 11]},
    ]
    initial = state(model)
    first = batches[0]
    out, valid = model.encode(first["histories"])
    outputs = [out[r][valid[r]].tolist() for r in range(len(first["histories"]))]
    losses = {
        "full": every_position_loss(model, first, "full").item(),
        "in_batch": every_position_loss(model, first, "in_batch").item(),
        "full_mlp": every_position_loss(model, first, "full", mlp=True).item(),
        "last_position_full": last_position_loss(model, first).item(),
    }
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    steps, step_losses = [], []
    for b in batches:  # accum_steps 1: one AdamW step per batch
        loss = every_position_loss(model, b, "full")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step_losses.append(loss.item())
        steps.append(state(model))
    out = {
        "torch_version": torch.__version__,
        "config": {"n_items": N_ITEMS, "d_model": D, "max_length": L, "blocks": BLOCKS, "heads": HEADS,
                   "lr": LR, "weight_decay": WD, "fixed_logit_scale": SCALE, "layer_norm_eps": LN_EPS},
        "parameter_names": list(initial.keys()),
        "initial_params": initial,
        "batches": batches,
        "first_batch": {"outputs": outputs, "user_vectors": out_last(model, initial, first), "losses": losses},
        "step_losses": step_losses,
        "params_after_step": steps,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "model", "src", "test", "resources", "golden",
                        "sequence_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path), "losses", losses, "steps", step_losses)


def out_last(model, initial, batch):
    m = SequenceTwoTower(N_ITEMS, D, L, BLOCKS, HEADS, 0.0)
    m.load_state_dict({k: torch.tensor(v) for k, v in initial.items()})
    m.eval()
    with torch.no_grad():
        out, _ = m.encode(batch["histories"])
        return out[:, -1].tolist()


if __name__ == "__main__":
    main()
