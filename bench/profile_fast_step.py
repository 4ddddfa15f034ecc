#!/usr/bin/env python3
"""Times and profiles reference_fast.py's training step on MovieLens-sized random batches, the Python
counterpart of StepBreakdown (610 users, 9724 items, batch 512, k_neg 50, d_model 256, accum 2).

    /usr/bin/python3 bench/profile_fast_step.py [--iters 12] [--threads 2]

Prints the median ms per micro-batch (AdamW amortised) and torch's profiler table by self CPU time.
Sets OMP_WAIT_POLICY=PASSIVE unless set, as the reference scripts do.
"""
import argparse
import os
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'python'))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from reference_fast import batch_logits  # noqa: E402
from twotower_common import CFG, TwoTowerModel, make_optim  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--iters', type=int, default=12)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    users, items, b, k = 610, 9724, CFG['batch_size'], CFG['k_neg']
    model = TwoTowerModel(users, items, CFG['d_model'], CFG['dropout'])
    optimizer, _ = make_optim(model)
    model.train()
    gen = torch.Generator().manual_seed(1)
    batches = [(torch.randint(users, (b,), generator=gen), torch.randint(items, (b,), generator=gen),
                torch.randint(items, (b, k), generator=gen)) for _ in range(4)]

    def step(i, u, p, n):
        loss = F.cross_entropy(batch_logits(model, u, p, n), torch.zeros(b, dtype=torch.long)) / CFG['accum_steps']
        loss.backward()
        if i % CFG['accum_steps'] == 0:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    for i in range(4):
        step(i + 1, *batches[i % 4])
    times = []
    for i in range(0, 2 * (args.iters // 2), 2):
        t0 = time.perf_counter()
        step(1, *batches[i % 4])
        step(2, *batches[(i + 1) % 4])
        times.append((time.perf_counter() - t0) / 2 * 1e3)
    times.sort()
    med = times[len(times) // 2]
    print(f'reference_fast step (torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'OMP_WAIT_POLICY={os.environ.get("OMP_WAIT_POLICY")}): median {med:.1f} ms per micro-batch '
          f'(min {times[0]:.1f}, max {times[-1]:.1f}) = {b / med * 1e3:.0f} examples/s; loadavg {os.getloadavg()}')
    with torch.autograd.profiler.profile() as prof:
        for i in range(4):
            step(i + 1, *batches[i % 4])
    print('profile of 4 micro-batches (2 AdamW steps):')
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=14))


if __name__ == '__main__':
    main()
