"""The training configuration: nested ml_collections ConfigDicts, the flax-examples way.

  config.model   name (a registered family member), latent_dim, hidden (encoder widths; the
                 decoder mirrors them), activation, code_activation, likelihood, sigma,
                 mixture_components (of the discretized logistic), network (mlp, conv or
                 resnet: ae.models.networks) and channels (the convolutions' widths)
  config.data    dataset, data_dir, max_train_examples, max_test_examples, binarize,
                 image_size and channels (resize and convert the images), test_fraction and
                 split_seed (the held-out split of the user's data when it has none)
  config.train   epochs, batch_size, optimizer (adam or adagrad), learning_rate, schedule,
                 adam_eps, weight_decay (an N(0, 1 / (weight_decay N)) prior on the weights:
                 weight_decay * theta added to every gradient), seed, eval_batch_size,
                 keep_checkpoints, divergence_factor and skip_nonfinite_updates (the
                 divergence rule of ae.training.divergence), compute_dtype (float32, or
                 bfloat16: the networks compute in it on float32 parameters; see
                 ae.models.networks.compute_dtype)
  config.<name>  the family's own section, only where the model has one (config.dae.noise, ...)

`base_config(name)` holds the defaults of model `name` and nothing else, so a run's config.json
lists only settings that mean something for it. The presets in experiments/configs/ start from it.
`validate` checks the common sections here and the family's section in its module; a bad value
raises `ConfigError` with its dotted path ("train.batch_size"), which the binaries print as the
flag the user typed (--config.train.batch_size).
"""

import ml_collections
from ml_collections import config_dict

from ae import data, models
from ae.models import networks
from ae.distributions import likelihoods
from ae.errors import ConfigError
from ae.foundations import mlp
from ae.validation import (get, label_fields, require_choice,  # noqa: F401 (re-exported)
                           require_label_counts, require_label_fields, require_number,
                           require_widths)

CODE_ACTIVATIONS = ("identity", "sigmoid", "tanh")
BINARIZE = ("none", "dynamic")
SCHEDULES = ("constant", "burda_stages")
OPTIMIZERS = ("adam", "adagrad")
MAX_SEED = 2 ** 63 - 1
# Keys of config.json that record the run rather than set it.
RECORD_KEYS = ("workdir", "data_source", "data_fingerprint", "mean_image_nll",
               "divergence_threshold", "image_shape", "class_names")


def base_config(model_name: str = "ae") -> ml_collections.ConfigDict:
  """The default configuration of a model, with its family's section (if it has one)."""
  family = models.get(model_name)
  config = ml_collections.ConfigDict()
  config.model = ml_collections.ConfigDict(dict(
      name=model_name, latent_dim=32, hidden=(512, 256), activation="relu",
      code_activation="identity", likelihood="bernoulli", sigma=1.0, mixture_components=1,
      network="mlp", channels=(32, 64)))
  config.data = ml_collections.ConfigDict(dict(
      dataset="fashion_mnist", data_dir=config_dict.placeholder(str),
      max_train_examples=config_dict.placeholder(int),
      max_test_examples=config_dict.placeholder(int), binarize="none",
      image_size=config_dict.placeholder(int), channels=config_dict.placeholder(int),
      test_fraction=0.1, split_seed=0))
  config.train = ml_collections.ConfigDict(dict(
      epochs=10, batch_size=128, optimizer="adam", learning_rate=1e-3, schedule="constant",
      adam_eps=1e-8, weight_decay=0.0, seed=0,
      eval_batch_size=1000, keep_checkpoints=3, divergence_factor=10.0,
      skip_nonfinite_updates=False, compute_dtype="float32"))
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
  require_widths(config, "model.hidden")
  require_choice(config, "model.network", networks.NAMES)
  require_widths(config, "model.channels", "(32, 64)", empty=config.model.network == "mlp")
  require_number(config, "model.mixture_components", low=1, high=100, integer=True)
  if config.model.mixture_components > 1 and config.model.likelihood != "discretized_logistic":
    raise ConfigError("model.mixture_components", "mixes discretized logistics; set "
                      "model.likelihood='discretized_logistic' or leave it at 1.")
  require_choice(config, "model.activation", tuple(mlp.ACTIVATIONS))
  require_choice(config, "model.code_activation", CODE_ACTIVATIONS)
  require_choice(config, "model.likelihood", likelihoods.NAMES)
  require_number(config, "model.sigma", low=0, low_open=True)
  require_choice(config, "data.dataset", data.DATASETS)
  require_choice(config, "data.binarize", BINARIZE)
  require_number(config, "data.image_size", low=1, high=4096, integer=True, optional=True)
  if config.data.channels not in (None, 1, 3):
    raise ConfigError("data.channels", f"must be 1 (grey) or 3 (RGB), not "
                      f"{config.data.channels!r}.")
  require_number(config, "data.test_fraction", low=0, low_open=True)
  if not config.data.test_fraction < 1:
    raise ConfigError("data.test_fraction", f"must lie in (0, 1), not "
                      f"{config.data.test_fraction:g}.")
  require_number(config, "data.split_seed", low=0, high=2 ** 32 - 1, integer=True)
  if config.data.binarize != "none" and config.model.likelihood in likelihoods.EIGHT_BIT:
    raise ConfigError("data.binarize", f"the {config.model.likelihood} likelihood models 8-bit "
                      "pixels; set it to 'none'.")
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
  networks.compute_dtype(config)   # Refuses a dtype the networks cannot compute in.
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
