"""Checks of config values that every layer shares: the config module, the model families and
the binaries. Each raises `ConfigError` with the field's dotted path and a sentence that names
the fix. This module imports no model and no training code (the families import it), so it
sits at the bottom of the import graph.
"""

import math

from ae.errors import ConfigError


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


def require_widths(config, path: str, example: str = "(512, 256)", empty: bool = True) -> None:
  """A tuple of positive integer widths (may be empty only when `empty`)."""
  value = get(config, path)
  if not isinstance(value, (tuple, list)) or (not value and not empty) or not all(
      isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in value):
    raise ConfigError(path, f"widths must be positive integers, as in {example}; got "
                      f"{value!r}.")


def label_fields(num_labels: int) -> dict:
  """The data section's fields of a semi-supervised model (checked by require_label_fields)."""
  return {"num_labels": num_labels, "label_seed": 0, "label_holdout": 0}


def require_label_fields(config) -> None:
  """data.num_labels, data.label_seed and data.label_holdout of a semi-supervised model, as
  numbers; `require_label_counts` checks them against the number of classes once the data is
  loaded."""
  require_number(config, "data.num_labels", low=0, integer=True)
  require_number(config, "data.label_seed", low=0, high=2 ** 32 - 1, integer=True)
  require_number(config, "data.label_holdout", low=0, integer=True)


def require_label_counts(config, num_classes: int) -> None:
  """data.num_labels a multiple of the data's num_classes (or 0) and data.label_holdout a
  multiple of it below num_labels (or 0): labels are drawn evenly from the classes."""
  n, holdout = config.data.num_labels, config.data.label_holdout
  if n and not num_classes:
    raise ConfigError("data.num_labels", f"the data has no labels, so {n} labelled examples "
                      "cannot be drawn; set it to 0, or give the images classes (one "
                      "sub-directory per class, or an npz 'labels' array).")
  if n % max(num_classes, 1):
    raise ConfigError("data.num_labels", f"{n} labels are drawn evenly from {num_classes} "
                      f"classes; use a multiple of {num_classes}.")
  if holdout % max(num_classes, 1) or (holdout and holdout >= n):
    raise ConfigError("data.label_holdout", f"{holdout} must be a multiple of {num_classes} "
                      f"below data.num_labels ({n}), or 0.")


def require_labels(config, spec, why: str) -> None:
  """Data with classes, for a family that needs them (`why` says what for)."""
  if not spec.num_classes:
    raise ConfigError("data.dataset", f"{config.model.name} {why}, but the "
                      f"{config.data.dataset} data has no labels; give the images classes (one "
                      "sub-directory per class, or an npz 'labels' array) or choose a model "
                      "that needs none.")
