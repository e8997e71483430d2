"""m2_100: Kingma et al. 2014's M2 with 100 labels (10 per class) on MNIST
(experiments/configs/papers/kingma_2014.py): the test error of the last epoch, for each of the
label draws (data.label_seed = 0, 1, ...; the paper's +- is over draws), never choosing an
epoch on the test set."""

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


PROTOCOLS = (Protocol(
    name="m2_100",
    citation="Kingma, Rezende, Mohamed & Welling 2014, Semi-supervised Learning with Deep "
             "Generative Models, Table 1",
    anchors={"": Anchor(11.97, 1.71, "% test error", _SOURCE)},
    epochs=preset.get_config().train.epochs, seeds=3, run=run,
    differs="ReLU and alpha = 50 on the labelled batch's mean cross-entropy (the paper: "
            "softplus, alpha = 0.1 N); the classifier's first layer shared with the encoder and "
            "N(0, 0.3^2) input noise (not in the paper); 10 epochs, chosen on Fashion-MNIST's "
            "held-out labels; the Bernoulli likelihood on gray levels."),)
