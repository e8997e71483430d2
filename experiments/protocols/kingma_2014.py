"""Kingma et al. 2014 with 100 labels (10 per class) on MNIST
(experiments/configs/papers/kingma_2014.py): the test error of the last epoch, for each of the
label draws (data.label_seed = 0, 1, ...; the paper's +- is over draws), never choosing an
epoch on the test set.

  m2_100    M2 on the pixels
  m1m2_100  M2 on the codes of M1 (a VAE trained once, without labels; `ae.models.stacked`)
"""

import os

import numpy as np

from ae.evaluation import metrics
from ae.models import stacked
from experiments.configs.papers import kingma_2014 as preset
from experiments.protocols import Anchor, Protocol

_SOURCE = "Kingma et al. 2014, Table 1 (MNIST, 100 labels)"


def run(ctx) -> dict:
  errors = []
  for seed in range(ctx.seeds):
    config = preset.get_config("m2")
    config.data.label_seed = seed
    history = ctx.train(config, f"m2_seed{seed}").history
    errors.append(100.0 * (1.0 - history[-1]["test_accuracy"]))
  return {"": errors}


def m1_codes(result) -> np.ndarray:
  """M1's posterior means of its training images (gray levels, as it was trained)."""
  return np.asarray(metrics.Evaluator(result.model, result.state).encode(
      result.splits["train"].images))


def run_m1m2(ctx) -> dict:
  """M1 once; its active units (std of the posterior mean over the training images above
  0.1); then M2 on its codes for each label draw."""
  m1 = ctx.train(preset.get_config("m1"), "m1")
  units = ctx.cached("m1_active_units", lambda: stacked.active_units(m1_codes(m1)))
  errors = []
  for seed in range(ctx.seeds):
    config = preset.get_config("m1m2")
    config.m1m2.m1_workdir = os.path.join(ctx.root, "m1")
    config.m1m2.units = tuple(units)
    config.data.label_seed = seed
    history = ctx.train(config, f"m1m2_seed{seed}").history
    errors.append(100.0 * (1.0 - history[-1]["test_accuracy"]))
  ctx.epochs_run = len(history)   # M2's epochs (the protocol's), not M1's
  return {"": errors}


PROTOCOLS = (Protocol(
    name="m2_100",
    citation="Kingma, Rezende, Mohamed & Welling 2014, Semi-supervised Learning with Deep "
             "Generative Models, Table 1",
    anchors={"": Anchor(11.97, 1.71, "% test error", _SOURCE)},
    epochs=preset.get_config().train.epochs, seeds=3, run=run,
    differs="ReLU and alpha = 50 on the labelled batch's mean cross-entropy (the paper: "
            "softplus, alpha = 0.1 N); the classifier's first layer shared with the encoder and "
            "N(0, 0.3^2) input noise (not in the paper); 10 epochs, chosen on Fashion-MNIST's "
            "held-out labels; the Bernoulli likelihood on gray levels."),
    Protocol(
        name="m1m2_100",
        citation="Kingma, Rezende, Mohamed & Welling 2014, Semi-supervised Learning with Deep "
                 "Generative Models, Table 1 (M1+M2)",
        anchors={"": Anchor(3.33, 0.14, "% test error", _SOURCE)},
        epochs=preset.get_config("m1m2").train.epochs, seeds=3, run=run_m1m2,
        differs="M1 for 50 epochs (the paper: longer, unstated); M2 on M1's codes with alpha = "
                "50 on the labelled batch's mean cross-entropy (the paper: alpha = 0.1 N), 30 "
                "epochs, both on gray levels."),
)
