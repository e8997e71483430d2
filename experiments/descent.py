r"""The chapter's descent rules on a small MLP classifier on real data.

Three runs from the same start: gradient descent with the rules (accept a step only if the loss
drops, else halve eta; stop when |delta L| < tol), the same steps all taken without the acceptance
rule, and Adam for comparison. For every step the decrease predicted by the first- and
second-order Taylor terms is recorded next to the actual decrease.

  python -m experiments.descent --workdir=runs/descent --lr=4.0
"""

import os

from absl import flags
import jax
import numpy as np
import optax

from ae.evaluation import plots
from ae.foundations import descent, gradients, mlp
from experiments import cli
from experiments import common

LR = flags.DEFINE_float("lr", 4.0, "Initial eta (large on purpose, so that rule 2 acts).")
ADAM_LR = flags.DEFINE_float("adam_lr", 1e-2, "Adam's learning rate, for comparison.")
STEPS = flags.DEFINE_integer("max_steps", 300, "Step attempts at most.")
TOL = flags.DEFINE_float("tol", 1e-5, "Stop when an accepted step changes the loss less.")
ROWS = flags.DEFINE_integer("rows", 2000, "Real rows (test split) to fit.")
HIDDEN = flags.DEFINE_integer("hidden", 32, "Hidden width of the one-hidden-layer tanh MLP.")
for _name in ("lr", "adam_lr", "max_steps", "rows"):
  cli.require_positive(_name)
cli.require_positive("hidden", high=common.MAX_WIDTH)
cli.require_positive("tol", strict=False)


def summarize(r: descent.DescentResult) -> dict:
  n = int(r.num_steps)
  out = {name: np.asarray(getattr(r, name))[:n].tolist() for name in
         ("etas", "accepted", "predicted_first", "predicted_second", "actual")}
  out["losses"] = np.asarray(r.losses)[:n].tolist() + [float(r.losses[-1])]
  accepted = np.asarray(out["actual"])[np.asarray(out["accepted"], bool)]
  last_change = float(abs(accepted[-1])) if accepted.size else None
  out.update(num_steps=n, converged=bool(r.converged), final_loss=float(r.losses[-1]),
             rejected=int(n - np.sum(out["accepted"])), last_loss_change=last_change,
             tol=TOL.value)
  if not r.converged:   # rule 3 (stop when |delta L| < tol) was not reached
    change = "no step was accepted" if last_change is None else (
        f"the last accepted step changed the loss by {last_change:.2e}, not below --tol="
        f"{TOL.value:g}")
    out["fix"] = (f"{change} after {n} steps: raise --max_steps (now {STEPS.value}) or --tol")
  return out


def main(argv):
  del argv
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  x, labels, source = common.rows("test", ROWS.value)
  cli.write_config(workdir, {"data_source": source})
  params = mlp.init_mlp(jax.random.PRNGKey(common.SEED.value), [x.shape[1], HIDDEN.value, 10])
  loss_fn = lambda p: gradients.loss(p, x, labels, "tanh", "categorical") / x.shape[0]
  common_args = dict(max_steps=STEPS.value, tol=TOL.value)
  runs = {
      "gd_with_rules": descent.descend(loss_fn, params, learning_rate=LR.value, **common_args),
      "gd_every_step": descent.descend(loss_fn, params, learning_rate=LR.value,
                                       enforce_decrease=False, **common_args),
      "adam": descent.descend(loss_fn, params, optimizer=optax.adam(ADAM_LR.value),
                              learning_rate=1.0, enforce_decrease=False, **common_args)}
  metrics = {name: summarize(r) for name, r in runs.items()}
  g = metrics["gd_with_rules"]
  accepted = np.asarray(g["accepted"], bool)
  actual = np.asarray(g["actual"])
  for order in ("first", "second"):   # How far each Taylor prediction was from the truth.
    error = np.abs(np.asarray(g[f"predicted_{order}"]) - actual)[accepted]
    g[f"median_abs_error_{order}_order"] = float(np.median(error)) if error.size else None
  metrics["data_source"] = source
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  cli.save_figure(plots.descent(metrics), os.path.join(workdir, "descent.png"))
  rows = [[name, m["num_steps"], m["rejected"], m["losses"][0], m["final_loss"],
           "yes" if m["converged"] else "no"] for name, m in metrics.items() if name != "data_source"]
  print(cli.format_table(["run", "steps", "rejected", "start loss", "final loss", "converged"], rows))
  for name, m in metrics.items():
    if name != "data_source" and not m["converged"]:
      print(f"note: {name} did not converge: {m['fix']}.")
  print(f"accepted GD steps: median |predicted - actual| decrease: first order "
        f"{g['median_abs_error_first_order']:.2e}, second order "
        f"{g['median_abs_error_second_order']:.2e}")
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
