"""Flag checks the binaries share: usage errors that name the flag (exit code 2), validators
for numbers and lists, the finite/int32 check of every numeric flag, and a config flag's value
with one sentence when its file cannot load. experiments.cli re-exports them."""

import math

from absl import app, flags

FLAGS = flags.FLAGS
USAGE_EXIT = 2


def config_value(holder):
  """The ConfigDict of a config_flags flag; a usage error naming --config if it cannot load, or
  if its get_config() returned something other than a ConfigDict."""
  import ml_collections
  try:
    source = FLAGS[holder.name].config_filename
  except Exception:  # noqa: BLE001 (ml_collections: UnparsedFlagError when it was not given)
    source = "the config file"
  returned = lambda what: usage_error(holder.name, f"get_config() in {source} "
                                      f"returned {what}, not an ml_collections.ConfigDict; "
                                      "return one, as experiments/configs/ae.py does.")
  try:
    value = holder.value
    if type(value).__name__ == "_ErrorConfig":   # ml_collections' deferred load failure
      value.keys()
    if value is not None and not isinstance(value, ml_collections.ConfigDict):
      kind = type(value).__name__
      raise returned(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}")
  except app.UsageError:
    raise
  except Exception as e:  # ml_collections defers load failures (IOError, ImportError, ...).
    if "Unexpected None value" in str(e):
      raise returned("None") from None
    lines = [l.strip() for l in str(e).strip().splitlines() if l.strip()]
    raise usage_error("config", f"the config could not be loaded ({type(e).__name__}: "
                      f"{lines[-1] if lines else ''}); name a file in experiments/configs/, "
                      "such as --config=experiments/configs/ae.py.") from e
  if value is None and FLAGS[holder.name].present:
    raise returned("None")
  if value is None:
    raise usage_error("config", "is required: name a config file, such as "
                      "--config=experiments/configs/ae.py.")
  return value


def usage_error(flag: str, message: str) -> app.UsageError:
  """An absl usage error that names the flag; raise it from main to exit with code 2."""
  return app.UsageError(f"--{flag}: {message}", exitcode=USAGE_EXIT)


def require_positive(name: str, strict: bool = True, high=None) -> None:
  """Registers a flag validator: a finite value > 0 (>= 0 when not strict), at most `high`."""
  words = ("positive" if strict else "non-negative") + (f" and at most {high:g}" if high else "")
  flags.register_validator(
      name, lambda v: v is None or (math.isfinite(v) and (v > 0 if strict else v >= 0) and
                                    (high is None or v <= high)),
      message=f"--{name} must be a finite number, {words}.")


def require_range(name: str, low, high) -> None:
  """Registers a flag validator: low <= value <= high (and finite)."""
  flags.register_validator(
      name, lambda v: v is None or (math.isfinite(v) and low <= v <= high),
      message=f"--{name} must lie between {low:g} and {high:g}.")


def positive_integers(flag, high: int | None = None) -> list:
  """The values of a list flag as integers from 1 (to `high`); a usage error naming it if not."""
  try:
    values = [int(v) for v in flag.value]
  except ValueError:
    values = []
  if not values or min(values) < 1 or (high is not None and max(values) > high):
    what = "positive integers" if high is None else f"integers from 1 to {high}"
    raise usage_error(flag.name, f"must be {what}, not {flag.value}.")
  return values


MAX_SEED = 2 ** 32 - 1
MAX_SIZE = 2 ** 31 - 1   # Any count or size: beyond it arrays cannot be indexed with int32.


def check_numeric_flags() -> None:
  """Every float flag must be finite and every integer flag must fit in int32 (a seed in
  uint32): a usage error names the first one that does not. Narrower ranges are the flags' own
  validators."""
  for module, module_flags in FLAGS.flags_by_module_dict().items():
    if module.startswith("absl.") or "/absl/" in module:
      continue
    for flag in module_flags:
      v = flag.value
      if isinstance(v, float) and not math.isfinite(v):
        raise usage_error(flag.name, f"must be a finite number, not {v}.")
      if isinstance(v, int) and not isinstance(v, bool):
        low, high = (0, MAX_SEED) if "seed" in flag.name else (-MAX_SIZE, MAX_SIZE)
        if not low <= v <= high:
          raise usage_error(flag.name, f"{v} is out of range; give a value from {low} to "
                            f"{high}.")
