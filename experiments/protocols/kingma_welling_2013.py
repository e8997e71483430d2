"""kingma_welling_fig2: Kingma & Welling 2013's Figure 2 (MNIST): the train and test lower
bounds per example against the training examples seen, for latent sizes 3, 5, 10, 20 and 200
(experiments/configs/papers/kingma_welling_2013.py). The figure gives no number to compare
with, only curves (its y-axis from about -150 to -100): the rows are our final test bounds, the
comparison is the figure, WORKDIR/kingma_welling_fig2/figure2.png."""

import os

import numpy as np

from ae import io
from experiments.configs.papers import kingma_welling_2013 as preset
from experiments.protocols import Anchor, Protocol

_SOURCE = "Kingma & Welling 2013, Figure 2 (curves only; no number in the text)"


def figure(curves: dict, path: str) -> None:
  """Figure 2's layout: one panel per latent size, -loss (the bound, nats) against the training
  examples seen (log scale), train and test."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  sizes = sorted(curves)
  fig, axes = plt.subplots(1, len(sizes), figsize=(3.2 * len(sizes), 3.2), sharey=True,
                           squeeze=False)
  for ax, size in zip(axes[0], sizes):
    seen, train, test = (np.asarray(v, float) for v in curves[size])
    ax.plot(seen, train, label="train (AEVB)", color="tab:red")
    ax.plot(seen, test, label="test (AEVB)", color="tab:red", linestyle="--")
    ax.set_xscale("log")
    ax.set_title(f"MNIST, $N_z$ = {size}")
    ax.set_xlabel("training examples seen")
    ax.set_ylim(max(-200.0, min(-150.0, float(np.min(test)))), -95)   # the paper's axis
    ax.grid(alpha=0.3)
  axes[0][0].set_ylabel("lower bound per example (nats)")
  axes[0][0].legend(loc="lower right")
  fig.tight_layout()
  io.save_figure(fig, path)


def run(ctx) -> dict:
  curves, rows = {}, {}
  for size in preset.LATENT_SIZES:
    history = ctx.train(preset.get_config(str(size)), f"z{size}").history
    batch = preset.get_config(str(size)).train.batch_size
    curves[size] = ([r["step"] * batch for r in history], [-r["train_loss"] for r in history],
                    [-r["test_loss"] for r in history])
    rows[f"z{size}"] = [-history[-1]["test_loss"]]
  figure(curves, os.path.join(ctx.root, "figure2.png"))
  return rows


PROTOCOLS = (Protocol(
    name="kingma_welling_fig2",
    citation="Kingma & Welling 2013, Auto-Encoding Variational Bayes, Figure 2",
    anchors={f"z{s}": Anchor(None, None, "nats (test lower bound)", _SOURCE,
                             lower_is_better=False) for s in preset.LATENT_SIZES},
    epochs=preset.EPOCHS, seeds=1, run=run,
    differs="The train curve is the mean bound over each epoch's minibatches while training "
            "(the paper evaluates it separately); the images are binarized afresh at every "
            "minibatch; Flax's initialization, not N(0, 0.01)."),)
