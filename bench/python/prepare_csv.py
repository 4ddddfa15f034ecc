#!/usr/bin/env python3
"""Build the notebook's input folder (as CSV) from MovieLens ratings.csv.

The notebook reads sequences_{train,val}.parquet plus two id maps produced by an
earlier preprocessing notebook we do not have.  No parquet reader is available
here, so this script writes the same tables as CSV, following a fixed protocol
that the Java job's own preparation step must reproduce row for row:

  * every rating row is one implicit interaction (the rating value is ignored);
  * each user's interactions are ordered by (timestamp, movieId) -- movieId breaks
    the many timestamp ties so the order is deterministic;
  * users and items get dense ids 0..n-1 in ascending raw-id order (only ids that
    occur in the file);
  * for a user with items i_1..i_n the last item is validation,
      val   row: (user, pos=i_n, history=i_1..i_{n-1})
      train rows: (user, pos=i_t, history=i_1..i_{t-1}) for t = 1..n-1
    (t = 1 has an empty history);
  * histories keep only their last 50 items.

history_idx is space-separated and empty when there is no history; pandas reads
the empty cell as NaN, which is exactly what the notebook's pd.notna() expects.

Pure standard library on purpose: it must run before torch/pandas are installed.
"""
import argparse
import csv
import os
from collections import defaultdict

MAX_HISTORY = 50
# The MovieLens "small" snapshot; a different ratings file gives different counts.
EXPECTED = {'users': 610, 'items': 9724, 'train': 100226, 'val': 610}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ratings', default='/work/shared/data/movielens-small/ratings.csv')
    ap.add_argument('--out', default='/tmp/twotower-ml-csv', help='output folder')
    ap.add_argument('--no-check', action='store_true',
                    help='skip the MovieLens-small row-count assertions')
    args = ap.parse_args()

    per_user = defaultdict(list)          # raw user id -> [(timestamp, raw movie id)]
    with open(args.ratings, newline='') as f:
        for row in csv.DictReader(f):
            per_user[int(row['userId'])].append((int(row['timestamp']), int(row['movieId'])))

    user_ids = sorted(per_user)
    item_ids = sorted({m for events in per_user.values() for _, m in events})
    uidx = {u: i for i, u in enumerate(user_ids)}
    iidx = {m: i for i, m in enumerate(item_ids)}

    train, val = [], []
    for u in user_ids:
        items = [iidx[m] for _, m in sorted(per_user[u])]
        for t, pos in enumerate(items):
            hist = items[max(0, t - MAX_HISTORY):t]
            # The last interaction goes to validation, every earlier one to training.
            (val if t == len(items) - 1 else train).append((uidx[u], pos, ' '.join(map(str, hist))))

    os.makedirs(args.out, exist_ok=True)

    def write(name, header, rows):
        with open(os.path.join(args.out, name), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    seq_header = ('user_idx', 'pos_item_idx', 'history_idx')
    write('sequences_train.csv', seq_header, train)
    write('sequences_val.csv', seq_header, val)
    write('item_id_map.csv', ('item_id', 'item_idx'), ((m, iidx[m]) for m in item_ids))
    write('customer_id_map.csv', ('customer_id', 'user_idx'), ((u, uidx[u]) for u in user_ids))

    counts = {'users': len(user_ids), 'items': len(item_ids), 'train': len(train), 'val': len(val)}
    print(f"wrote {args.out}: {counts}")
    if not args.no_check:
        assert counts == EXPECTED, f"expected {EXPECTED}, got {counts}"


if __name__ == '__main__':
    main()
