#!/usr/bin/env python3
"""Golden values for the sparse embedding optimizers (embedding_optimizer: lazy_adamw | rowwise_adagrad).

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/make_sparse_golden.py
It writes model/src/test/resources/golden/sparse_embedding_golden.json (committed, so CI needs no PyTorch).

The notebook's model (make_golden.TwoTowerModel) with sparse embedding gradients (nn.Embedding(sparse=True)):
the towers' layers step with torch.optim.AdamW as in the notebook; the two tables with
  * lazy_adamw: torch.optim.SparseAdam, plus decoupled weight decay on the rows the step touched
    (row *= 1 - lr * weight_decay before SparseAdam's update), written out below;
  * rowwise_adagrad: FBGEMM's EXACT_ROWWISE_ADAGRAD with weight_decay_mode DECOUPLED, written out below
    (torch has no row-wise Adagrad): s += mean(g^2 over the row); row = row * (1 - lr * wd) - lr * g / (sqrt(s) + eps).
Two optimizer steps of two micro-batches each (loss / accum_steps), touching different rows, so rows touched
in one step only and rows never touched are both covered.
"""
import json
import os

import torch

from make_golden import D, N_ITEMS, N_USERS, SCALE, TwoTowerModel, in_batch_loss, state

LR, WD, ACCUM = 0.01, 0.1, 2
ADAGRAD_LR, ADAGRAD_EPS, ADAGRAD_INIT = 0.05, 1e-8, 0.0
K_NEG = 2

# Step 1 touches users 0-2 and items 0-6; step 2 users 1, 3 and items 3, 5, 7-10; user 4 and item 11 never.
BATCHES = [
    {"users": [0, 1], "pos": [0, 1], "neg": [[2, 3], [4, 2]]},
    {"users": [2, 0, 1], "pos": [5, 6, 0], "neg": [[1, 3], [4, 5], [6, 2]]},
    {"users": [1, 3], "pos": [7, 3], "neg": [[8, 9], [5, 10]]},
    {"users": [3], "pos": [9], "neg": [[10, 8]]},
]


def touched_rows(weight):
    return weight.grad.coalesce().indices()[0]


class DecoupledDecay:
    """row *= 1 - lr * weight_decay on the rows the step's sparse gradient touched."""

    def __init__(self, tables, lr, weight_decay):
        self.tables, self.lr, self.weight_decay = tables, lr, weight_decay

    @torch.no_grad()
    def step(self):
        for w in self.tables:
            rows = touched_rows(w)
            w[rows] = w[rows] * (1 - self.lr * self.weight_decay)


class RowWiseAdagrad:
    """FBGEMM's EXACT_ROWWISE_ADAGRAD (split_weight_update_cpu), weight_decay_mode DECOUPLED."""

    def __init__(self, tables, lr, eps, initial_accumulator, weight_decay):
        self.tables, self.lr, self.eps, self.weight_decay = tables, lr, eps, weight_decay
        self.accumulators = [torch.full((w.shape[0],), initial_accumulator) for w in tables]

    @torch.no_grad()
    def step(self):
        for w, s in zip(self.tables, self.accumulators):
            g = w.grad.coalesce()
            rows, values = g.indices()[0], g.values()
            new_s = s[rows] + values.square().mean(1)
            s[rows] = new_s
            multiplier = self.lr / (new_s.sqrt() + self.eps)
            w[rows] = w[rows] * (1 - self.lr * self.weight_decay) - values * multiplier.unsqueeze(1)


def train(initial, optimizer_name):
    model = TwoTowerModel(N_USERS, N_ITEMS, D, 0.0)
    model.load_state_dict({k: torch.tensor(v) for k, v in initial.items()})
    model.user_emb.sparse = True
    model.item_emb.sparse = True
    model.train()
    tables = [model.user_emb.weight, model.item_emb.weight]
    layers = [p for n, p in model.named_parameters() if not n.endswith("_emb.weight")]
    dense = torch.optim.AdamW(layers, lr=LR, weight_decay=WD)
    if optimizer_name == "lazy_adamw":
        # Decay first: SparseAdam's update does not read the row, so this is row * (1 - lr * wd) - update.
        sparse = [DecoupledDecay(tables, LR, WD), torch.optim.SparseAdam(tables, lr=LR)]
    else:
        sparse = [RowWiseAdagrad(tables, ADAGRAD_LR, ADAGRAD_EPS, ADAGRAD_INIT, WD)]
    losses, steps = [], []
    for step in range(2):
        for b in BATCHES[2 * step:2 * step + 2]:
            u, p, n = (torch.tensor(b[k]) for k in ("users", "pos", "neg"))
            loss = in_batch_loss(*model(u, p, n))
            (loss / ACCUM).backward()
            losses.append(loss.item())
        dense.step()
        for opt in sparse:
            opt.step()
        model.zero_grad(set_to_none=True)
        steps.append(state(model))
    return {"micro_batch_losses": losses, "params_after_step": steps}


def main():
    torch.manual_seed(11)
    initial = state(TwoTowerModel(N_USERS, N_ITEMS, D, 0.0))
    out = {
        "torch_version": torch.__version__,
        "config": {"n_users": N_USERS, "n_items": N_ITEMS, "d_model": D, "fixed_logit_scale": SCALE, "lr": LR,
                   "weight_decay": WD, "accum_steps": ACCUM, "k_neg": K_NEG, "adagrad_lr": ADAGRAD_LR,
                   "adagrad_eps": ADAGRAD_EPS, "adagrad_initial_accumulator": ADAGRAD_INIT},
        "initial_params": initial,
        "batches": BATCHES,
        "untouched": {"user": 4, "item": 11},
        "lazy_adamw": train(initial, "lazy_adamw"),
        "rowwise_adagrad": train(initial, "rowwise_adagrad"),
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "model", "src", "test", "resources", "golden",
                        "sparse_embedding_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path), "losses", out["lazy_adamw"]["micro_batch_losses"],
          out["rowwise_adagrad"]["micro_batch_losses"])


if __name__ == "__main__":
    main()
