#!/usr/bin/env bash
# The papers' protocols in full, for a machine with an accelerator (experiments.reproduce; see
# README.md, "Against the papers"): every protocol at its own epochs, the IWAE's Table 1 with
# k = 1, 5 and 50, the VAE and the IWAE, through all 8 stages (3,280 epochs each). Resumable:
# run the same command again after an interruption. The CPU runs of README.md stopped earlier
# (their epochs_run); this is the rest.
#
#   bash scripts/papers_gpu.sh [WORKDIR] [MNIST_DIR]    (needs `pip install -e '.[gpu]'`)
set -euo pipefail
cd "$(dirname "$0")/.."
WORKDIR=${1:-runs/papers_gpu}
DATA=${2:-../shared/data/mnist}
PY=${PYTHON:-python}
$PY -c 'import jax; d = jax.devices()[0]; print({"device": d.device_kind, "platform": d.platform})'
$PY -m experiments.reproduce --workdir="$WORKDIR" --data_dir="$DATA" \
    --only=flax_vae,m2_100,aae_figure4,aae_clustering_16,kingma_welling_fig2
$PY -m experiments.reproduce --workdir="$WORKDIR" --data_dir="$DATA" --only=iwae_table1
