r"""The loss test: one sigmoid neuron, input 1.0, target 0.0, trained by gradient descent.

With the quadratic loss the gradient keeps a sigma'(z) factor, (a - y) sigma'(z) x, so a saturated
neuron (a near 1) learns slowly; with cross-entropy it is (a - y) x and learning is fast.

  python -m experiments.loss_comparison --workdir=runs/loss_comparison
  python -m experiments.loss_comparison --workdir=runs/lc_easy --w0=0.6 --b0=0.9
"""

import os

from absl import flags
import jax
import jax.numpy as jnp

from ae.evaluation import plots
from ae.foundations import gradients
from experiments import cli
from experiments import common

W0 = flags.DEFINE_float("w0", 2.0, "Initial weight.")
B0 = flags.DEFINE_float("b0", 2.0, "Initial bias.")
LR = flags.DEFINE_float("lr", 0.15, "Learning rate eta.")
EPOCHS = flags.DEFINE_integer("epochs", 300, "Gradient steps (one example, so one per epoch).")
LOSSES = flags.DEFINE_list("losses", ["mse", "ce"], "Losses to compare: mse and/or ce.")
X_IN = flags.DEFINE_float("input", 1.0, "The input x.")
Y_TARGET = flags.DEFINE_float("target", 0.0, "The target y.")
cli.require_positive("lr")
cli.require_positive("epochs", high=10 ** 7)
cli.require_range("target", 0, 1)   # Cross-entropy needs a target probability.


def train(kind: str, w: float, b: float, x: float, y: float, lr: float, epochs: int) -> dict:
  """Plain gradient descent on one neuron; every list has epochs + 1 entries (start first)."""
  grad = jax.jit(jax.value_and_grad(lambda wb: gradients.neuron_loss(kind, wb[0], wb[1], x, y)))

  def step(wb, _):
    loss, g = grad(wb)
    return wb - lr * g, (wb, loss)

  wb_final, (wbs, losses) = jax.lax.scan(step, jnp.array([w, b], jnp.float32), None,
                                         length=epochs)
  wbs = jnp.concatenate([wbs, wb_final[None]])
  losses = jnp.concatenate([losses, grad(wb_final)[0][None]])
  outputs = gradients.neuron_output(wbs[:, 0], wbs[:, 1], x)
  return {"outputs": outputs.tolist(), "losses": losses.tolist(),
          "w": wbs[:, 0].tolist(), "b": wbs[:, 1].tolist()}


def main(argv):
  del argv
  unknown = sorted(set(LOSSES.value) - {"mse", "ce"})
  if unknown or not LOSSES.value:
    raise cli.usage_error("losses", f"unknown loss {', '.join(unknown) or '(none)'}; "
                          "use mse, ce or mse,ce.")
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  cli.write_config(workdir)
  metrics = {kind: train(kind, W0.value, B0.value, X_IN.value, Y_TARGET.value, LR.value,
                         EPOCHS.value) for kind in LOSSES.value}
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  cli.save_figure(plots.loss_comparison(metrics, LR.value),
                  os.path.join(workdir, "loss_comparison.png"))
  marks = sorted({0, EPOCHS.value // 10, EPOCHS.value // 2, EPOCHS.value})
  rows = [[kind] + [metrics[kind]["outputs"][e] for e in marks] for kind in metrics]
  print(cli.format_table(["loss"] + [f"a@{e}" for e in marks], rows))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
