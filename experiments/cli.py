"""What every experiment binary shares: absl flags, the library's typed errors worded as flag
fixes with exit code 2, a writable workdir, config.json and a printed table. Outputs are written
atomically through `ae.io` (nothing half-written is ever left)."""

import logging
import os
import subprocess
import sys
import tempfile
from typing import Callable, Sequence

# TensorFlow only backs tfds here (no computing), so its C++ start-up notes are noise; TF 2.21
# prints the oneDNN one whatever TF_CPP_MIN_LOG_LEVEL says. Binaries set this, not the library.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from absl import app, flags  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from ae import io  # noqa: E402
from ae.errors import CheckpointError, ConfigError, DataError, DivergedError  # noqa: E402

FLAGS = flags.FLAGS
USAGE_EXIT = 2
# How this binary spells the settings that library errors name; a binary may change these.
SETTING_FLAGS = {"data_dir": "--data_dir", "config_prefix": "--config."}

write_json, write_lines, save_figure = io.write_json, io.write_lines, io.save_figure


class RunError(Exception):
  """A run that cannot go on (a finished run's files missing, a subprocess failed); the message
  names the fix."""


def _usage_exit(message: str):
  sys.stderr.write(f"FATAL Flags parsing error: {message}\n"
                   "Pass --helpshort or --helpfull to see help on flags.\n")
  sys.exit(USAGE_EXIT)


def _parse_flags(argv: Sequence[str]):
  try:
    return FLAGS(argv)
  except flags.Error as e:
    _usage_exit(str(e))
  except (AttributeError, KeyError) as e:   # ml_collections: an override of an unknown field.
    field = str(e).strip("\"'")
    typed = [a.split("=")[0] for a in argv[1:] if field in a.split("=")[0].split(".")[1:]]
    _usage_exit(f"{typed[0] if typed else field}: no such field in the config; check its "
                "spelling against the config file.")
  except (OSError, ImportError, SyntaxError, ValueError, TypeError) as e:   # A bad config file.
    _usage_exit(f"--config: the config could not be loaded ({type(e).__name__}: "
                f"{str(e).strip().splitlines()[-1] if str(e).strip() else ''}).")


def config_value(holder):
  """The ConfigDict of a config_flags flag; a usage error naming --config if it cannot load."""
  try:
    value = holder.value
    if value is not None:
      value.keys()   # A config that failed to load raises only when it is first used.
  except Exception as e:  # ml_collections defers load failures (IOError, ImportError, ...).
    lines = [l.strip() for l in str(e).strip().splitlines() if l.strip()]
    raise usage_error("config", f"the config could not be loaded ({type(e).__name__}: "
                      f"{lines[-1] if lines else ''}); name a file in experiments/configs/, "
                      "such as --config=experiments/configs/ae.py.") from e
  if value is None:
    raise usage_error("config", "is required: name a config file, such as "
                      "--config=experiments/configs/ae.py.")
  return value


def config_flag(error: ConfigError) -> str:
  """The flag that sets a config field, as the user types it."""
  return f"{SETTING_FLAGS['config_prefix']}{error.field}"


def usage_error(flag: str, message: str) -> app.UsageError:
  """An absl usage error that names the flag; raise it from main to exit with code 2."""
  return app.UsageError(f"--{flag}: {message}", exitcode=USAGE_EXIT)


def require_positive(name: str, strict: bool = True) -> None:
  """Registers a flag validator: the value must be > 0 (or >= 0 when not strict)."""
  flags.register_validator(
      name, lambda v: v is None or (v > 0 if strict else v >= 0),
      message=f"--{name} must be {'positive' if strict else 'non-negative'}.")


def run(main: Callable[[Sequence[str]], object],
        diverged_fix: Callable[[], str] = lambda: "lower the learning rate and train again.",
        ) -> None:
  """app.run with exit code 2 and one sentence for bad flags, unusable data, bad configs,
  unreadable checkpoints, diverged training and runs that cannot go on. `diverged_fix()` words
  what to change after a diverged run, in the binary's flags."""
  def guarded(argv):
    if not FLAGS["verbosity"].present:  # Orbax and JAX log every step at INFO level.
      absl_logging.set_verbosity(absl_logging.WARNING)
    try:
      if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; every option is a --flag.")
      return main(argv)
    except app.UsageError as e:   # One sentence, not absl's page of module docs.
      _usage_exit(str(e))
    except ConfigError as e:
      _usage_exit(f"{config_flag(e)}: {e.message}")
    except DataError as e:
      sys.stderr.write(f"error: {e.worded(SETTING_FLAGS['data_dir'])}\n")
      sys.exit(USAGE_EXIT)
    except CheckpointError as e:
      sys.stderr.write(f"error: {e}; delete that directory to fall back to an earlier "
                       "checkpoint, or train into a new --workdir.\n")
      sys.exit(USAGE_EXIT)
    except DivergedError as e:
      sys.stderr.write(f"error: {e}; {diverged_fix()}\n")
      sys.exit(USAGE_EXIT)
    except RunError as e:
      sys.stderr.write(f"error: {e}\n")
      sys.exit(USAGE_EXIT)
  # JAX reports at INFO level each backend it cannot find (TPU on a GPU/CPU box): noise here.
  logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
  app.run(guarded, flags_parser=_parse_flags)


def run_command(command: Sequence[str]) -> subprocess.CompletedProcess:
  """Runs a command, capturing its output; a RunError with its last stderr line if it fails."""
  result = subprocess.run(list(command), capture_output=True, text=True)
  if result.returncode != 0:
    lines = result.stderr.strip().splitlines()
    said = [l for l in lines if l.startswith(("FATAL", "error:"))] or lines
    raise RunError(f"{' '.join(command)} failed (exit {result.returncode}): "
                   f"{said[-1] if said else 'no error output'}")
  return result


def prepare_workdir(workdir: str) -> str:
  """Creates workdir and checks that it can be written; a usage error names --workdir if not."""
  if not workdir:
    raise usage_error("workdir", "is required: name a directory for the outputs.")
  try:
    os.makedirs(workdir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=workdir, prefix=".probe-"):
      pass
  except OSError as e:
    raise usage_error("workdir", f"{workdir} cannot be written ({e.strerror}); "
                      "choose a directory you can write to.") from e
  return workdir


def flag_dict() -> dict:
  """Every flag the program defined (absl's own left out), for config.json."""
  out = {}
  for module, module_flags in FLAGS.flags_by_module_dict().items():
    if module.startswith("absl.") or "/absl/" in module:
      continue
    for flag in module_flags:
      out[flag.name] = flag.value
  return dict(sorted(out.items()))


def write_config(workdir: str, extra: dict | None = None) -> dict:
  config = flag_dict()
  config.update(extra or {})
  write_json(os.path.join(workdir, "config.json"), config)
  return config


def format_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
  """A plain-text table; floats in compact scientific or fixed notation."""
  def fmt(v):
    if isinstance(v, float):
      return f"{v:.3e}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.4f}"
    return str(v)
  cells = [[fmt(v) for v in row] for row in rows]
  widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
  line = lambda items: "  ".join(s.rjust(w) for s, w in zip(items, widths))
  return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])
