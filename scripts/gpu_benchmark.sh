#!/usr/bin/env bash
# The GPU check of BENCHMARKS.md, prepared for a machine with one GPU (a few minutes): the
# reference VAE (experiments/configs/vae_torch_reference.py) at batch 128 and 1024 (steady-state
# examples/s and an epoch's seconds, the FLOP fraction against the GPU's measured fp32 matmul
# peak), in float32 and in bfloat16 compute, then one training epoch and the k = 5000
# importance-sampled test NLL's time in both dtypes. Prints one
# JSON line per measurement, with the device named; paste them into BENCHMARKS.md.
#
#   bash scripts/gpu_benchmark.sh [OUT_DIR]      (needs `pip install -e '.[gpu]'` and the data)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/gpu}
PY=${PYTHON:-python}
mkdir -p "$OUT"
$PY -c 'import jax; d = jax.devices()[0]; print({"device": d.device_kind, "platform": d.platform, "count": jax.device_count()})'
for dt in float32 bfloat16; do   # config.train.compute_dtype (issue 20)
  $PY -m experiments.benchmark --workdir="$OUT/bench_$dt" --batch_sizes=128,1024 --epochs=3 \
      --compute_dtype=$dt
done
$PY -m experiments.train --config=experiments/configs/vae_torch_reference.py \
    --config.train.epochs=1 --workdir="$OUT/vae_1epoch"
# One block per chunk (100 images x 500 samples): the CPU's 5,000-row blocks only add steps on a GPU.
for dt in float32 bfloat16; do
  $PY -m experiments.benchmark --nll_run="$OUT/vae_1epoch" --nll_samples="${NLL_SAMPLES:-5000}" \
      --nll_rows_per_block=50000 --compute_dtype=$dt
done
