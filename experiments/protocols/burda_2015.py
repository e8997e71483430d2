"""iwae_table1: Burda et al. 2015's Table 1, one stochastic layer
(experiments/configs/papers/burda_2015.py): the test NLL (k = 5000 importance samples) of the
VAE and the IWAE trained with k = 1, 5, 50, at every stage boundary of the 3^i-epoch schedule
that the run reaches (the curve is the comparison: the paper reports the end, 3,280 epochs),
and the active units at each boundary.

Rows: iwae_table1/vae_k1 ... iwae_k50, each our NLL at the last boundary reached; k = 1 is one
model (the VAE and the IWAE bound agree there), trained once. The curve of every model is
WORKDIR/iwae_table1/stages.json and stages.png.
"""

import os
import time

import jax
import numpy as np

from ae import data, io
from ae.evaluation import likelihood
from experiments.configs.papers import burda_2015 as preset
from experiments.protocols import Anchor, Protocol

_SOURCE = "Burda et al. 2015, Table 1 (one stochastic layer, k = 5000)"
TABLE1 = {"vae_k1": 86.76, "vae_k5": 86.47, "vae_k50": 86.35,
          "iwae_k1": 86.76, "iwae_k5": 85.54, "iwae_k50": 84.78}
# A TensorFlow reimplementation after 400k steps at batch 100 (about 670 epochs): IWAE k = 1, 5, 50.
MIDWAY = {"iwae_k1": 90.26, "iwae_k5": 88.49, "iwae_k50": 87.34}
ACTIVE_IMAGES = 500
ACTIVE_THRESHOLD = 1e-2


def active_units(model, state, images) -> int:
  """Units u whose posterior mean varies over the images: Var_x(E_q[z_u | x]) > 1e-2 (Burda
  et al., section 5.2), on the images binarized with the fixed seed."""
  codes = jax.jit(model.encode)(state, data.preprocess(images, "fixed"))
  return int((np.var(np.asarray(codes, np.float64), axis=0) > ACTIVE_THRESHOLD).sum())


def evaluate(ctx, result, samples: int) -> dict:
  splits = result.splits
  started = time.perf_counter()
  nll = likelihood.importance_sampled_nll(result.model, result.state, splits["test"], samples)
  seconds = time.perf_counter() - started
  if not np.all(np.isfinite(nll)):
    from ae.errors import ResultError
    raise ResultError(f"the importance-sampled NLL of {ctx.root} is not finite")
  return {"epoch": len(result.history), "test_nll": float(nll.mean()), "num_samples": samples,
          "test_nll_sem": float(nll.std(ddof=1) / np.sqrt(nll.size)),
          "active_units": active_units(result.model, result.state,
                                       np.asarray(splits["train"].images[:ACTIVE_IMAGES])),
          "test_elbo_loss": result.history[-1]["test_loss"], "nll_seconds": seconds,
          "epoch_seconds": float(np.median([r["epoch_seconds"] for r in result.history]))}


def stages_figure(curves: dict, path: str) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(6, 4))
  for name, points in sorted(curves.items()):
    ax.plot([p["epoch"] for p in points], [p["test_nll"] for p in points], marker="o",
            label=f"{name} (paper {TABLE1[name]:.2f} at 3,280)")
  ax.set_xscale("log")
  ax.set_xlabel("epochs (stage boundaries 1, 4, 13, 40, ...)")
  ax.set_ylabel("test NLL, k = 5000 (nats)")
  ax.set_title("Burda et al. Table 1 protocol, MNIST")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  fig.tight_layout()
  io.save_figure(fig, path)


def run(ctx) -> dict:
  wanted = [r for r in TABLE1 if r in ctx.rows]
  trained = sorted({"vae_k1" if r == "iwae_k1" else r for r in wanted},
                   key=lambda r: (int(r.split("_k")[1]), r))
  samples = ctx.nll_samples or preset.EVAL_SAMPLES
  ends = [e for e in preset.stage_ends() if e <= ctx.epochs(preset.EPOCHS)]
  curves = {}
  for name in trained:
    config = preset.get_config(name)
    points = []
    for end in ends:
      def compute():
        return evaluate(ctx, ctx.train(config, name, epochs=end), samples)
      points.append(ctx.cached(f"{name}_epoch{end}_k{samples}", compute))
    curves[name] = points
  io.write_json(os.path.join(ctx.root, "stages.json"), curves)
  if curves:
    stages_figure(curves, os.path.join(ctx.root, "stages.png"))
  ctx.epochs_run = max(ends) if ends else 0
  return {r: [curves["vae_k1" if r == "iwae_k1" else r][-1]["test_nll"]] for r in wanted}


PROTOCOLS = (Protocol(
    name="iwae_table1",
    citation="Burda, Grosse & Salakhutdinov 2015, Importance Weighted Autoencoders, Table 1",
    anchors={r: Anchor(v, None, "nats (test NLL, k = 5000)", _SOURCE) for r, v in TABLE1.items()},
    epochs=preset.EPOCHS, seeds=1, run=run,
    differs="The paper reports the end of 3,280 epochs; the rows are the NLL at the last stage "
            "boundary reached (epochs_run), a point on the curve, not the end."),)


def stages_markdown(curves: dict) -> str:
  """The table of stages.json: per model, the test NLL (k = 5000) and the active units at each
  stage boundary reached."""
  ends = sorted({p["epoch"] for points in curves.values() for p in points})
  lines = ["| model (paper at 3,280 epochs) | " + " | ".join(f"epoch {e}" for e in ends) + " |",
           "|---|" + "---|" * len(ends)]
  for name, points in curves.items():
    at = {p["epoch"]: p for p in points}
    cells = [f"{at[e]['test_nll']:.2f} ({at[e]['active_units']} active)" if e in at else ""
             for e in ends]
    lines.append(f"| {name} ({TABLE1[name]:.2f}) | " + " | ".join(cells) + " |")
  lines.append("")
  for name, points in curves.items():
    last = points[-1]
    if "epoch_seconds" not in last:
      continue
    left = preset.EPOCHS - last["epoch"]
    evals = len([e for e in preset.stage_ends() if e > last["epoch"]])
    hours = (left * last["epoch_seconds"] + evals * last["nll_seconds"]) / 3600
    lines.append(f"- {name}: the {left} epochs and {evals} evaluations left would take "
                 f"{hours:.0f} hours here ({last['epoch_seconds']:.1f} s per epoch, "
                 f"{last['nll_seconds']:.0f} s per k = {last['num_samples']} NLL).")
  return "\n".join(lines) + "\n"
