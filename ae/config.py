"""The training configuration: one frozen dataclass, validated, written to and read from JSON."""

import dataclasses
import json
from typing import Optional

from ae import corruption, data, likelihoods

MODELS = ("ae", "dae", "sae", "cae")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")
CODE_ACTIVATIONS = ("linear", "sigmoid", "tanh")
BINARIZE = ("none", "dynamic")


class ConfigError(ValueError):
  """A bad setting; `field` names it (the binaries turn it into a usage error on --field)."""

  def __init__(self, field: str, message: str):
    super().__init__(f"--{field}: {message}")
    self.field = field
    self.message = message


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  model: str = "ae"
  dataset: str = "fashion_mnist"
  data_dir: Optional[str] = None
  latent_dim: int = 32
  hidden: tuple = (512, 256)           # Encoder widths; the decoder mirrors them.
  activation: str = "relu"
  code_activation: str = "linear"      # sae always uses sigmoid codes (rates in (0, 1)).
  likelihood: str = "bernoulli"
  sigma: float = 1.0                   # Fixed sigma of the "gaussian" likelihood.
  binarize: str = "none"               # "dynamic": a fresh Bernoulli sample of each batch.
  noise: str = "masking"               # dae corruption.
  noise_level: float = 0.3
  sparsity_target: float = 0.05        # sae: rho.
  sparsity_weight: float = 0.1         # sae: beta.
  contractive_weight: float = 0.1      # cae: lambda.
  epochs: int = 10
  batch_size: int = 128
  learning_rate: float = 1e-3
  seed: int = 0
  eval_batch_size: int = 1000
  keep_checkpoints: int = 3
  max_train_examples: Optional[int] = None   # For quick runs and tests.
  max_test_examples: Optional[int] = None

  @property
  def code(self) -> str:
    return "sigmoid" if self.model == "sae" else self.code_activation

  def validate(self) -> "TrainConfig":
    choices = {"model": MODELS, "dataset": data.DATASETS, "activation": ACTIVATIONS,
               "code_activation": CODE_ACTIVATIONS, "likelihood": likelihoods.NAMES,
               "binarize": BINARIZE, "noise": corruption.NAMES}
    for field, allowed in choices.items():
      if getattr(self, field) not in allowed:
        raise ConfigError(field, f"{getattr(self, field)!r} does not exist; choose one of "
                          f"{', '.join(allowed)}.")
    for field in ("latent_dim", "epochs", "batch_size", "eval_batch_size", "keep_checkpoints"):
      if getattr(self, field) < 1:
        raise ConfigError(field, f"must be at least 1, not {getattr(self, field)}.")
    for field in ("learning_rate", "sigma"):
      if not getattr(self, field) > 0:
        raise ConfigError(field, f"must be positive, not {getattr(self, field)}.")
    for field in ("sparsity_weight", "contractive_weight"):
      if getattr(self, field) < 0:
        raise ConfigError(field, f"must be non-negative, not {getattr(self, field)}.")
    if not all(isinstance(h, int) and h >= 1 for h in self.hidden):
      raise ConfigError("hidden", f"widths must be positive integers, not {list(self.hidden)}.")
    if not 0 <= self.noise_level <= 1 and self.noise != "gaussian":
      raise ConfigError("noise_level", f"is a probability for {self.noise} noise; got "
                        f"{self.noise_level}.")
    if self.noise_level < 0:
      raise ConfigError("noise_level", f"must be non-negative, not {self.noise_level}.")
    if not 0 < self.sparsity_target < 1:
      raise ConfigError("sparsity_target", f"must lie in (0, 1), not {self.sparsity_target}.")
    if self.binarize == "dynamic" and self.likelihood != "bernoulli":
      raise ConfigError("binarize", "dynamic binarization goes with --likelihood=bernoulli.")
    for field in ("max_train_examples", "max_test_examples"):
      value = getattr(self, field)
      if value is not None and value < 1:
        raise ConfigError(field, f"must be at least 1, not {value}.")
    return self

  def to_dict(self) -> dict:
    d = dataclasses.asdict(self)
    d["hidden"] = list(self.hidden)
    return d

  @classmethod
  def from_dict(cls, d: dict) -> "TrainConfig":
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in d.items() if k in names}
    if "hidden" in kwargs:
      kwargs["hidden"] = tuple(kwargs["hidden"])
    return cls(**kwargs).validate()

  @classmethod
  def load(cls, path: str) -> "TrainConfig":
    with open(path) as f:
      return cls.from_dict(json.load(f))
