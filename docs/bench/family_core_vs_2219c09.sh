# Side by side, A B A B: the training core at 2219c09 (/tmp/prev) against this commit.
cd /work/main
PY=/work/main/.venv/bin/python
for b in 128 1024; do
  for r in 1 2 3; do
    (cd /tmp/prev && $PY -m experiments.benchmark --batch_size=$b --epochs=3 2>/dev/null | tail -1 | sed "s/^/prev $b: /")
    ($PY -m experiments.benchmark --batch_size=$b --epochs=3 2>/dev/null | tail -1 | sed "s/^/new $b: /")
  done
done
for r in 1 2; do
  (cd /tmp/prev && $PY -m experiments.train --model=cae --epochs=2 --max_train_examples=12800 --max_test_examples=1000 --workdir=/tmp/cae_prev_$r 2>/dev/null | grep -A3 "^epoch" | tail -1 | sed "s/^/prev cae: /")
  ($PY -m experiments.train --config=experiments/configs/cae.py --config.train.epochs=2 --config.data.max_train_examples=12800 --config.data.max_test_examples=1000 --workdir=/tmp/cae_new_$r 2>/dev/null | tail -2 | head -1 | sed "s/^/new cae: /")
done
