"""The training configuration: nested ml_collections ConfigDicts, the flax-examples way.

  config.model   name (a registered family member), latent_dim, hidden (encoder widths; the
                 decoder mirrors them), activation, code_activation, likelihood, sigma
  config.data    dataset, data_dir, max_train_examples, max_test_examples, binarize
  config.train   epochs, batch_size, optimizer (adam or adagrad), learning_rate, schedule,
                 adam_eps, weight_decay (an N(0, 1 / (weight_decay N)) prior on the weights:
                 weight_decay * theta added to every gradient), seed, eval_batch_size,
                 keep_checkpoints, divergence_factor and skip_nonfinite_updates (the
                 divergence rule of ae.training.divergence)
  config.<name>  the family's own section, only where the model has one (config.dae.noise, ...)

`base_config(name)` holds the defaults of model `name` and nothing else, so a run's config.json
lists only settings that mean something for it. The presets in experiments/configs/ start from it.
`validate` checks the common sections here and the family's section in its module; a bad value
raises `ConfigError` with its dotted path ("train.batch_size"), which the binaries print as the
flag the user typed (--config.train.batch_size).
"""

import math

import ml_collections
from ml_collections import config_dict

from ae import data, models
from ae.distributions import likelihoods
from ae.errors import ConfigError
from ae.foundations import mlp

CODE_ACTIVATIONS = ("identity", "sigmoid", "tanh")
BINARIZE = ("none", "dynamic")
SCHEDULES = ("constant", "burda_stages")
OPTIMIZERS = ("adam", "adagrad")
MAX_SEED = 2 ** 63 - 1
# Keys of config.json that record the run rather than set it.
RECORD_KEYS = ("workdir", "data_source", "data_fingerprint", "mean_image_nll",
               "divergence_threshold")


def base_config(model_name: str = "ae") -> ml_collections.ConfigDict:
  """The default configuration of a model, with its family's section (if it has one)."""
  family = models.get(model_name)
  config = ml_collections.ConfigDict()
  config.model = ml_collections.ConfigDict(dict(
      name=model_name, latent_dim=32, hidden=(512, 256), activation="relu",
      code_activation="identity", likelihood="bernoulli", sigma=1.0))
  config.data = ml_collections.ConfigDict(dict(
      dataset="fashion_mnist", data_dir=config_dict.placeholder(str),
      max_train_examples=config_dict.placeholder(int),
      max_test_examples=config_dict.placeholder(int), binarize="none"))
  config.train = ml_collections.ConfigDict(dict(
      epochs=10, batch_size=128, optimizer="adam", learning_rate=1e-3, schedule="constant",
      adam_eps=1e-8, weight_decay=0.0, seed=0,
      eval_batch_size=1000, keep_checkpoints=3, divergence_factor=10.0,
      skip_nonfinite_updates=False))
  for section, fields in family.config_sections(model_name).items():
    if section in config:   # A family's own fields in a common section (aae_cat's data.num_labels).
      for field, value in fields.items():
        config[section][field] = value
    else:
      config[section] = ml_collections.ConfigDict(fields)
  return config


def make(model_name: str = "ae", **overrides) -> ml_collections.ConfigDict:
  """base_config(model_name) with dotted overrides, validated: make("dae", **{"train.epochs": 3})."""
  config = base_config(model_name)
  for path, value in overrides.items():
    section, field = path.split(".")
    config[section][field] = tuple(value) if isinstance(value, list) else value
  return validate(config)


# ----------------------------------------------------------------------------- checks


def get(config, path: str):
  section, field = path.split(".")
  return config[section][field]


def require_choice(config, path: str, allowed) -> None:
  value = get(config, path)
  if value not in allowed:
    raise ConfigError(path, f"{value!r} does not exist; choose one of {', '.join(allowed)}.")


def require_number(config, path: str, low=None, high=None, low_open=False, integer=False,
                   optional=False) -> None:
  """A finite number (an integer if asked) in [low, high], or (low, high] when low_open."""
  value = get(config, path)
  if value is None and optional:
    return
  if isinstance(value, bool) or not isinstance(value, (int, float)) or (
      integer and not isinstance(value, int)):
    raise ConfigError(path, f"must be {'an integer' if integer else 'a number'}, not {value!r}.")
  if not math.isfinite(value):
    raise ConfigError(path, f"must be a finite number, not {value}.")
  show = lambda v: str(v) if isinstance(v, int) else f"{v:g}"
  if low is not None and (value <= low if low_open else value < low):
    bound = f"greater than {show(low)}" if low_open else f"at least {show(low)}"
    raise ConfigError(path, f"must be {bound}, not {show(value)}.")
  if high is not None and value > high:
    raise ConfigError(path, f"must be at most {show(high)}, not {show(value)}.")


def label_fields(num_labels: int) -> dict:
  """The data section's fields of a semi-supervised model (checked by require_label_fields)."""
  return {"num_labels": num_labels, "label_seed": 0, "label_holdout": 0}


def require_label_fields(config) -> None:
  """data.num_labels (a multiple of 10, or 0), data.label_seed and data.label_holdout (a
  multiple of 10 below num_labels, or 0) of a semi-supervised model."""
  require_number(config, "data.num_labels", low=0, integer=True)
  require_number(config, "data.label_seed", low=0, high=2 ** 32 - 1, integer=True)
  if config.data.num_labels % 10:
    raise ConfigError("data.num_labels", f"{config.data.num_labels} labels are drawn evenly "
                      "from 10 classes; use a multiple of 10.")
  require_number(config, "data.label_holdout", low=0, integer=True)
  if config.data.label_holdout % 10 or (
      config.data.label_holdout and config.data.label_holdout >= config.data.num_labels):
    raise ConfigError("data.label_holdout", f"{config.data.label_holdout} must be a multiple of "
                      f"10 below data.num_labels ({config.data.num_labels}), or 0.")


def _check_fields(config, reference, prefix: str = "", model_name: str = "",
                  allow_missing: bool = False) -> None:
  """The same sections and fields as `reference`: nothing unknown, nothing missing (unless
  allow_missing: a config.json written before a field existed takes its default)."""
  name = model_name or reference.model.name
  for key in config.keys():
    if key not in reference:
      what = "section" if not prefix else "field"
      raise ConfigError(f"{prefix}{key}", f"is not a {what} of the {name} config "
                        "(see experiments/configs/ for the fields); remove it.")
  for key in reference.keys():
    if key not in config:
      if allow_missing and prefix:
        continue
      raise ConfigError(f"{prefix}{key}", "is missing; add it (see experiments/configs/).")
    if isinstance(reference[key], ml_collections.ConfigDict):
      if not isinstance(config[key], (ml_collections.ConfigDict, dict)):
        raise ConfigError(f"{prefix}{key}", "must be a section of fields.")
      _check_fields(config[key], reference[key], f"{prefix}{key}.", name, allow_missing)


def validate(config) -> ml_collections.ConfigDict:
  """Checks every setting; raises ConfigError naming the first bad one. Returns config."""
  if "model" not in config or "name" not in config.model:
    raise ConfigError("model.name", "is missing; name the model (see experiments/configs/).")
  require_choice(config, "model.name", models.names())
  reference = base_config(config.model.name)
  missing = sorted(set(reference.keys()) - set(config.keys()))
  common = [m for m in missing if m in ("model", "data", "train")]
  if common:
    raise ConfigError(common[0], "is missing from the config: every config has model, data "
                      "and train sections; start from a preset, such as "
                      f"--config=experiments/configs/{config.model.name}.py.")
  if missing and "model" in config:
    name = config.model.name
    raise ConfigError("model.name", f"{name!r} has config sections of its own "
                      f"({', '.join(missing)}); start from its preset, such as "
                      f"--config=experiments/configs/{name}.py, rather than renaming a model.")
  _check_fields(config, reference)
  require_number(config, "model.latent_dim", low=1, integer=True)
  hidden = config.model.hidden
  if not isinstance(hidden, (tuple, list)) or not all(
      isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in hidden):
    raise ConfigError("model.hidden", f"widths must be positive integers, as in (512, 256); got "
                      f"{hidden!r}.")
  require_choice(config, "model.activation", tuple(mlp.ACTIVATIONS))
  require_choice(config, "model.code_activation", CODE_ACTIVATIONS)
  require_choice(config, "model.likelihood", likelihoods.NAMES)
  require_number(config, "model.sigma", low=0, low_open=True)
  require_choice(config, "data.dataset", data.DATASETS)
  require_choice(config, "data.binarize", BINARIZE)
  if config.data.binarize == "dynamic" and config.model.likelihood != "bernoulli":
    raise ConfigError("data.binarize", "dynamic binarization goes with "
                      "model.likelihood='bernoulli'.")
  for path in ("data.max_train_examples", "data.max_test_examples"):
    require_number(config, path, low=1, integer=True, optional=True)
  for path in ("train.epochs", "train.batch_size", "train.eval_batch_size",
               "train.keep_checkpoints"):
    require_number(config, path, low=1, integer=True)
  require_number(config, "train.learning_rate", low=0, low_open=True)
  require_choice(config, "train.schedule", SCHEDULES)
  require_number(config, "train.adam_eps", low=0, low_open=True)
  require_choice(config, "train.optimizer", OPTIMIZERS)
  require_number(config, "train.weight_decay", low=0)
  require_number(config, "train.seed", low=0, high=MAX_SEED, integer=True)
  require_number(config, "train.divergence_factor", low=1, low_open=True)
  if not isinstance(config.train.skip_nonfinite_updates, bool):
    raise ConfigError("train.skip_nonfinite_updates", "must be True or False, not "
                      f"{config.train.skip_nonfinite_updates!r}.")
  models.get(config.model.name).validate(config)
  return config


# ----------------------------------------------------------------------------- JSON


def to_dict(config) -> dict:
  """A plain nested dict (tuples as lists) for config.json."""
  def plain(v):
    if isinstance(v, dict):
      return {k: plain(x) for k, x in v.items()}
    return list(v) if isinstance(v, tuple) else v
  return plain(config.to_dict())


def from_dict(d: dict) -> ml_collections.ConfigDict:
  """The validated config of a config.json dict (its RECORD_KEYS are not settings).
  Unknown fields are refused; a field missing from a section (the file was written before the
  field existed) takes its default, which keeps the behaviour of the version that wrote it."""
  if not isinstance(d, dict) or not isinstance(d.get("model"), dict):
    raise ConfigError("model", "is missing: this is not a training config.")
  d = {k: v for k, v in d.items() if k not in RECORD_KEYS}
  name = d["model"].get("name")
  if not isinstance(name, str) or name not in models.names():
    raise ConfigError("model.name", f"{name!r} does not exist; choose one of "
                      f"{', '.join(models.names())}.")
  config = base_config(name)
  _check_fields(ml_collections.ConfigDict(d), config, allow_missing=True)
  for section, fields in d.items():
    for field, value in fields.items():
      try:
        config[section][field] = tuple(value) if isinstance(value, list) else value
      except TypeError as e:
        raise ConfigError(f"{section}.{field}", f"has the wrong type ({e}).") from e
  return validate(config)


def flatten(d: dict, prefix: str = "") -> dict:
  """{"model": {"name": "ae"}} -> {"model.name": "ae"}."""
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(flatten(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = v
  return out
