r"""The test codes of several trained 2-D models side by side, each over samples of its prior
(Makhzani et al.'s Figure 2: the AAE's codes fill N(0, I); the VAE's leave gaps).

  python -m experiments.compare_codes --workdirs=runs/aae/normal,runs/aae/vae2d \
      --out=runs/aae/aae_vs_vae.png

A model with its own prior (the AAE) is drawn over samples of it; any other over N(0, I).
"""

import os

from absl import flags
import jax
import numpy as np

from ae import io
from ae.evaluation import adversarial, metrics, plots
from ae.training import loop
from experiments import cli
from experiments.runs import load_run

WORKDIRS = flags.DEFINE_list("workdirs", None, "Workdirs of trained models with a 2-D code.")
OUT = flags.DEFINE_string("out", None, "The PNG to write.")
cli.SETTING_FLAGS["data_dir"] = "data.data_dir in the run's config.json"


def panel(workdir: str):
  config, model, state = load_run(workdir)
  if config.model.latent_dim != 2 or getattr(model, "categorical", False):
    raise cli.usage_error("workdirs", f"{workdir} holds a model with a {config.model.latent_dim}"
                          "-D code; every run must have a 2-D code (--config.model.latent_dim=2).")
  test = loop.load_splits(config)["test"]
  name = f"{config.model.name} ({os.path.basename(os.path.normpath(workdir))})"
  if hasattr(model, "prior"):
    return name, adversarial.prior_panel(model, state, test), model.spec.class_names
  codes = metrics.Evaluator(model, state).encode(test.images, test.labels)
  prior = jax.random.normal(jax.random.PRNGKey(0), (5000, 2))
  return name, (np.asarray(codes), np.asarray(test.labels), np.asarray(prior)), \
      model.spec.class_names


def main(argv):
  del argv
  if not WORKDIRS.value:
    raise cli.usage_error("workdirs", "is required: name two or more runs with 2-D codes, as "
                          "in --workdirs=runs/aae/normal,runs/aae/vae2d.")
  if not OUT.value or not OUT.value.endswith(".png"):
    raise cli.usage_error("out", f"{OUT.value!r} must name a .png file to write.")
  panels, names = {}, None
  for workdir in WORKDIRS.value:
    if not os.path.isdir(workdir):
      raise cli.usage_error("workdirs", f"{workdir} is not a directory; name training runs.")
    name, p, names = panel(workdir)
    panels[name] = p
  directory = os.path.dirname(OUT.value) or "."
  cli.prepare_workdir(directory, lock=False)   # one figure in a shared directory
  io.save_figure(plots.codes_over_prior(panels, names, "test codes over samples of each "
                                        "model's prior"), OUT.value)
  print(f"wrote {OUT.value}")


if __name__ == "__main__":
  cli.run(main)
