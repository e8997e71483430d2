r"""Trains an autoencoder (ae, dae, sae, cae) with the shared training core.

Writes under --workdir: config.json, metrics.jsonl (one line per epoch), metrics.json (the final
summary), TensorBoard events, checkpoints/ (the last few epochs) and figures: reconstructions,
noisy/denoised pairs (dae), the latent codes coloured by label (--latent_dim=2), learning curves.
Running again with the same --workdir resumes from the latest checkpoint.

  python -m experiments.train --model=ae --latent_dim=2 --epochs=5 --workdir=runs/ae2
  python -m experiments.train --flagfile=experiments/flagfiles/dae.cfg --workdir=runs/dae
"""

import dataclasses
import json
import os
import typing

from absl import flags, logging
import jax

from ae import checkpoints, cli, corruption, data, evaluate, likelihoods, models, plots, train
from ae.config import ConfigError, TrainConfig
from experiments import common

HELP = {
    "model": "ae (plain), dae (denoising), sae (sparse) or cae (contractive).",
    "latent_dim": "Size of the code z.",
    "hidden": "Encoder hidden widths, comma-separated; the decoder mirrors them.",
    "activation": "Hidden activation: relu, sigmoid, tanh, elu or gelu.",
    "code_activation": "Activation of the code: linear, sigmoid or tanh (sae: always sigmoid).",
    "likelihood": "p(x | z): bernoulli, gaussian (fixed --sigma) or gaussian_learned.",
    "sigma": "Fixed sigma of --likelihood=gaussian.",
    "binarize": "none (gray levels) or dynamic (a fresh Bernoulli sample per batch).",
    "noise": "dae corruption: gaussian, masking or salt_pepper.",
    "noise_level": "dae: corruption probability (masking, salt_pepper) or std (gaussian).",
    "sparsity_target": "sae: target mean activation rho of each code unit.",
    "sparsity_weight": "sae: weight beta of the KL sparsity penalty.",
    "contractive_weight": "cae: weight lambda of the squared Frobenius norm of the Jacobian.",
    "epochs": "Epochs to train (in total, counting those of a resumed run).",
    "batch_size": "Training batch size (the last partial batch of an epoch is dropped).",
    "learning_rate": "Adam learning rate.",
    "eval_batch_size": "Evaluation batch size.",
    "keep_checkpoints": "How many of the latest checkpoints to keep.",
    "max_train_examples": "Use only the first N training examples (quick runs).",
    "max_test_examples": "Use only the first N test examples (quick runs).",
}
SHARED = {"dataset", "data_dir", "seed"}  # Defined in experiments.common.
_FLAGS = {}
for _field in dataclasses.fields(TrainConfig):
  if _field.name in SHARED:
    continue
  _default, _type = _field.default, typing.get_type_hints(TrainConfig)[_field.name]
  if _field.name == "hidden":
    _FLAGS[_field.name] = flags.DEFINE_list(_field.name, [str(h) for h in _default],
                                            HELP[_field.name])
  elif _type in (int, typing.Optional[int]):
    _FLAGS[_field.name] = flags.DEFINE_integer(_field.name, _default, HELP[_field.name])
  elif _type is float:
    _FLAGS[_field.name] = flags.DEFINE_float(_field.name, _default, HELP[_field.name])
  else:
    _FLAGS[_field.name] = flags.DEFINE_string(_field.name, _default, HELP[_field.name])


def config_from_flags() -> TrainConfig:
  values = {name: f.value for name, f in _FLAGS.items()}
  try:
    values["hidden"] = tuple(int(h) for h in values["hidden"])
  except ValueError as e:
    raise cli.usage_error("hidden", f"widths must be integers, not {values['hidden']}.") from e
  values.update(dataset=common.DATASET.value, data_dir=common.DATA_DIR.value,
                seed=common.SEED.value)
  try:
    return TrainConfig(**values).validate()
  except ConfigError as e:
    raise cli.usage_error(e.field, e.message) from e


def check_resume(workdir: str, config: TrainConfig) -> None:
  """A workdir that already holds a different run (other than --epochs) is refused."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return
  with open(path) as f:
    old = json.load(f)
  differ = sorted(k for k, v in config.to_dict().items()
                  if k != "epochs" and k in old and old[k] != v)  # workdir is not a setting.
  if differ and checkpoints.latest_step(workdir) is not None:
    raise cli.usage_error("workdir", f"{workdir} holds a run with different "
                          f"{', '.join('--' + k for k in differ)}; choose a new --workdir "
                          "or repeat the old flags to resume it.")


def write_figures(workdir: str, config: TrainConfig, model, params, history, test_split) -> None:
  images, labels, _ = test_split
  likelihood = likelihoods.get(config.likelihood, config.sigma)
  shown = images[:10]
  mean = likelihood.mean(evaluate.reconstruct(model, params, shown))
  cli.save_figure(plots.image_rows({"input": data.to_float(shown), "reconstruction": mean},
                                   f"{config.model} on {config.dataset}, latent {config.latent_dim}"),
                  os.path.join(workdir, "reconstructions.png"))
  if config.model == "dae":
    clean = data.to_float(shown)
    noisy = corruption.corrupt(jax.random.PRNGKey(config.seed), clean, config.noise,
                               config.noise_level)
    denoised = likelihood.mean(model.apply(params, noisy)["outputs"])
    cli.save_figure(plots.image_rows({"clean": clean, f"{config.noise} {config.noise_level:g}":
                                      noisy, "denoised": denoised}, "denoising"),
                    os.path.join(workdir, "denoising.png"))
  if config.latent_dim == 2:
    codes = evaluate.encode(model, params, images)
    cli.save_figure(plots.latent_scatter(codes, labels, data.CLASS_NAMES[config.dataset],
                                         f"{config.model}: test codes"),
                    os.path.join(workdir, "latent.png"))
  cli.save_figure(plots.learning_curves(history), os.path.join(workdir, "learning_curves.png"))


def main(argv):
  del argv
  config = config_from_flags()
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  check_resume(workdir, config)
  cli.write_json(os.path.join(workdir, "config.json"), {**config.to_dict(), "workdir": workdir})
  logging.info("training %s on %s for %d epochs in %s", config.model, config.dataset,
               config.epochs, workdir)
  splits = train.load_splits(config)
  state, history = train.train_and_evaluate(config, workdir, splits)
  write_figures(workdir, config, models.build(config), state.params, history, splits["test"])
  final = dict(history[-1]) if history else {}
  final["epochs_run"] = len(history)
  final["device"] = str(jax.devices()[0].platform)
  final["data_source"] = splits["train"][2]
  cli.write_json(os.path.join(workdir, "metrics.json"), final)
  rows = [[h["epoch"], h["train_loss"], h["test_loss"], h["test_nll"], h["test_penalty"],
           f"{h['train_examples_per_second']:.0f}"] for h in history]
  print(cli.format_table(["epoch", "train loss", "test loss", "test NLL", "test penalty",
                          "train ex/s"], rows))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
