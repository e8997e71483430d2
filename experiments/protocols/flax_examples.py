"""flax_vae: the VAE of the flax examples, its test negative ELBO after 1, 5, 10 and 20 epochs
(experiments/configs/papers/flax_examples.py)."""

from experiments.configs.papers import flax_examples as preset
from experiments.protocols import Anchor, Protocol

_SOURCE = "flax PR #1361 (examples/vae README), tfds binarized_mnist"
CURVE = {1: 119.74, 5: 106.06, 10: 103.60, 20: 101.83}


def run(ctx) -> dict:
  config = preset.get_config()
  history = ctx.train(config, "vae").history
  return {f"epoch{e}": [history[e - 1]["test_loss"]] for e in CURVE if e <= len(history)}


PROTOCOLS = (Protocol(
    name="flax_vae",
    citation="google/flax examples/vae (784-500-20, ReLU, Adam 1e-3, batch 128)",
    anchors={f"epoch{e}": Anchor(v, None, "nats (test -ELBO)", _SOURCE) for e, v in CURVE.items()},
    epochs=preset.get_config().train.epochs, seeds=1, run=run,
    differs="The flax example trains on tfds binarized_mnist (50,000 images, one fixed "
            "binarization); here the 60,000 MNIST training images are binarized afresh at every "
            "minibatch and the test images once, with a fixed seed."),)
