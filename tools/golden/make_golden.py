#!/usr/bin/env python3
"""Golden values for the Java port, produced by PyTorch running the notebook's own model code.

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/make_golden.py
It writes model/src/test/resources/golden/two_tower_golden.json, which is committed so CI needs no PyTorch.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

SCALE = 10.0
N_USERS, N_ITEMS, D = 5, 12, 8
LR, WD, ACCUM = 0.01, 0.1, 2


class TwoTowerModel(nn.Module):
    """The notebook's class, verbatim but for the logit scale constant."""

    def __init__(self, n_users, n_items, d_model, dropout):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, d_model)
        self.item_emb = nn.Embedding(n_items, d_model)

        def make_tower():
            return nn.Sequential(
                nn.Linear(d_model, d_model), nn.LayerNorm(d_model), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(d_model, d_model), nn.LayerNorm(d_model), nn.ReLU(), nn.Dropout(dropout))

        self.user_mlp = make_tower()
        self.item_mlp = make_tower()
        nn.init.normal_(self.user_emb.weight, 0, 0.1)
        nn.init.normal_(self.item_emb.weight, 0, 0.1)

    def user_vec(self, uids):
        return F.normalize(self.user_mlp(self.user_emb(uids)), p=2, dim=1)

    def item_vec(self, iids):
        return F.normalize(self.item_mlp(self.item_emb(iids)), p=2, dim=1)

    def forward(self, uids, pos_i, neg_i):
        u_vec = self.user_vec(uids)
        pos_scores = (u_vec * self.item_vec(pos_i)).sum(1) * SCALE
        neg_vecs = self.item_vec(neg_i.view(-1)).view(uids.size(0), -1, u_vec.size(-1))
        neg_scores = torch.sum(u_vec.unsqueeze(1) * neg_vecs, dim=2) * SCALE
        return pos_scores, neg_scores


def in_batch_loss(pos_s, neg_s):
    logits = torch.cat([pos_s.unsqueeze(1), neg_s], dim=1)
    return F.cross_entropy(logits, torch.zeros(pos_s.size(0), dtype=torch.long))


def state(model):
    return {k: v.detach().tolist() for k, v in model.state_dict().items()}


def main():
    torch.manual_seed(7)
    # Dropout 0 so the forward pass is deterministic; the Java side checks dropout separately.
    model = TwoTowerModel(N_USERS, N_ITEMS, D, 0.0)
    model.train()
    batches = [
        {"users": [0, 1, 2, 4], "pos": [3, 7, 0, 11], "neg": [[1, 2, 5], [0, 4, 9], [6, 8, 10], [3, 7, 2]]},
        {"users": [3, 3, 1], "pos": [5, 6, 2], "neg": [[0, 1, 11], [9, 10, 4], [8, 5, 3]]},
    ]
    initial = state(model)
    first = batches[0]
    u, p, n = (torch.tensor(first[k]) for k in ("users", "pos", "neg"))
    pos_s, neg_s = model(u, p, n)
    loss0 = in_batch_loss(pos_s, neg_s)

    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    optimizer.zero_grad()
    steps = []
    losses = []
    # Two optimizer steps, each over the two micro-batches with the loss divided by accum_steps.
    for _ in range(2):
        for i, b in enumerate(batches, 1):
            u, p, n = (torch.tensor(b[k]) for k in ("users", "pos", "neg"))
            loss = in_batch_loss(*model(u, p, n))
            (loss / ACCUM).backward()
            losses.append(loss.item())
            if i % ACCUM == 0:
                optimizer.step()
                optimizer.zero_grad()
        steps.append(state(model))

    # Exact full-catalog ranks of held-out positives.
    model.eval()
    val_users, val_pos = [0, 1, 2, 3, 4], [2, 9, 4, 0, 7]
    with torch.no_grad():
        uv = model.user_vec(torch.tensor(val_users))
        iv = model.item_vec(torch.arange(N_ITEMS))
        scores = uv @ iv.T
        pos_scores = scores[torch.arange(len(val_users)), torch.tensor(val_pos)]
        ranks = (scores > pos_scores.unsqueeze(1)).sum(1).tolist()

    # ReduceLROnPlateau(mode='max', factor=0.5, patience=3) on a made-up metric sequence.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=5e-4)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='max', factor=0.5, patience=3)
    metrics = [0.01, 0.02, 0.02, 0.019, 0.02, 0.02, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.031]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])

    out = {
        "torch_version": torch.__version__,
        "config": {"n_users": N_USERS, "n_items": N_ITEMS, "d_model": D, "fixed_logit_scale": SCALE,
                   "lr": LR, "weight_decay": WD, "accum_steps": ACCUM},
        "initial_params": initial,
        "batches": batches,
        "first_batch": {"user_vec": u_vec_of(initial, first).tolist(),
                        "pos_scores": pos_s.tolist(), "neg_scores": neg_s.tolist(), "loss": loss0.item()},
        "micro_batch_losses": losses,
        "params_after_step": steps,
        "val": {"users": val_users, "pos": val_pos, "ranks": ranks},
        "plateau": {"metrics": metrics, "lrs": lrs},
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "model", "src", "test", "resources", "golden",
                        "two_tower_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path), "loss", loss0.item(), "ranks", ranks)


def u_vec_of(initial, batch):
    """The first batch's user vectors under the initial weights."""
    m = TwoTowerModel(N_USERS, N_ITEMS, D, 0.0)
    m.load_state_dict({k: torch.tensor(v) for k, v in initial.items()})
    with torch.no_grad():
        return m.user_vec(torch.tensor(batch["users"]))


if __name__ == "__main__":
    main()
