"""What every experiment binary shares: absl flags, the library's typed errors worded as flag
fixes with exit code 2, a writable workdir, config.json and a printed table. Outputs are written
atomically through `ae.io` (nothing half-written is ever left)."""

import logging
import re
import os
import signal
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
import jax  # noqa: E402

from ae import io  # noqa: E402
from ae.training import memory  # noqa: E402
from experiments import signals, workdirs  # noqa: E402
from experiments.flag_checks import (  # noqa: E402,F401  (the binaries call them as cli.NAME)
    MAX_SEED, MAX_SIZE, USAGE_EXIT, check_numeric_flags, config_value, positive_integers,
    require_positive, require_range, usage_error)
from ae.errors import (AEError, CheckpointError, ConfigError, DataError,  # noqa: E402
                       DataMismatchError, DivergedError, Interrupted, MismatchError, OutputError,
                       ResultError)

FLAGS = flags.FLAGS


def use_compilation_cache() -> str | None:
  """Turns on JAX's persistent compilation cache, so a program is compiled once per machine, not
  once per process (BENCHMARKS.md: the reference VAE's start-up, cold and warm). The directory
  is $JAX_COMPILATION_CACHE_DIR, else ~/.cache/ae/jax (under $XDG_CACHE_HOME when set);
  AE_COMPILATION_CACHE=0 turns it off. Every program is stored; they are small (a tiny run's
  took 404 KB on disk here). An unwritable directory is one note on stderr, and the run compiles
  without a cache. Returns the directory, or None when off."""
  if os.environ.get("AE_COMPILATION_CACHE", "1") == "0":
    return None
  directory = os.environ.get("JAX_COMPILATION_CACHE_DIR") or os.path.join(
      os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ae", "jax")
  try:
    os.makedirs(directory, exist_ok=True)
    writable = os.access(directory, os.W_OK)
  except OSError:
    writable = False
  if not writable:
    jax.config.update("jax_compilation_cache_dir", None)
    print(f"note: the compilation cache {directory} cannot be written, so this run compiles "
          "without it; set JAX_COMPILATION_CACHE_DIR to a writable directory, or "
          "AE_COMPILATION_CACHE=0 to silence this.", file=sys.stderr)
    return None
  jax.config.update("jax_compilation_cache_dir", directory)
  if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  return directory


use_compilation_cache()
# How this binary spells the settings that library errors name; a binary may change these.
SETTING_FLAGS = {"data_dir": "--data_dir", "config_prefix": "--config."}
# How a binary completes a sentence after a fault; each returns the end of the sentence.
#   resume         after an interruption or a full disk: what was kept and how to go on
#   data_mismatch  after DataMismatchError: what to change
FIXES = {
    "resume": lambda: "nothing was written; run the same command again",
    "data_mismatch": lambda: "train into a new --workdir, or point the data setting at the "
                             "data it was trained on",
}

write_json, write_lines, save_figure = io.write_json, io.write_lines, io.save_figure


class RunError(Exception):
  """A run that cannot go on (a finished run's files missing, a subprocess failed); the message
  names the fix."""


def _error_exit(message: str):
  _SAID.append(message)
  sys.stderr.write(f"error: {message}\n")
  sys.exit(USAGE_EXIT)


def _usage_exit(message: str):
  _SAID.append(message)
  sys.stderr.write(f"FATAL Flags parsing error: {message}\n"
                   "Pass --helpshort or --helpfull to see help on flags.\n")
  sys.exit(USAGE_EXIT)


def _parse_flags(argv: Sequence[str]):
  try:
    return FLAGS(argv)
  except flags.Error as e:
    bad_number = re.match(r"flag (--[^=]+)=(.*): (?:invalid literal for|could not convert "
                          r"string to) (int|float)", str(e))
    if bad_number:
      kind = "a whole number" if bad_number.group(3) == "int" else "a number"
      _usage_exit(f"{bad_number.group(1)}: {bad_number.group(2)!r} is not {kind}; give "
                  f"{kind}.")
    _usage_exit(str(e))
  except Exception as e:  # noqa: BLE001 (a config file can raise anything)
    _config_error_exit(e, argv)


def _config_files(argv: Sequence[str]) -> list:
  """The config files named by --config-like flags in argv (without their :argument)."""
  found = re.findall(r"^--\w*config=([^:\n]+)", "\n".join(argv[1:]), re.M)
  return [os.path.abspath(f) for f in found]


def _raised_in(e: BaseException, files: list) -> bool:
  tb = e.__traceback__
  while tb is not None:
    if os.path.abspath(tb.tb_frame.f_code.co_filename) in files:
      return True
    tb = tb.tb_next
  return False


def _config_error_exit(e: Exception, argv: Sequence[str]):
  """One sentence for a config file that fails while the flags are parsed: its own error (any
  type), a missing get_config, or an override of a field that does not exist."""
  files = _config_files(argv)
  text = str(e).strip().splitlines()[-1] if str(e).strip() else ""
  if "get_config" in str(e) and isinstance(e, AttributeError):
    _usage_exit(f"--config: {files[0] if files else 'the file'} has no get_config() function; "
                "define get_config() returning an ml_collections.ConfigDict, as "
                "experiments/configs/ae.py does.")
  if _raised_in(e, files) or not isinstance(e, (AttributeError, KeyError)):
    _usage_exit(f"--config: the config could not be loaded ({type(e).__name__}: {text}); name "
                "a file in experiments/configs/, such as --config=experiments/configs/ae.py, or "
                "a preset of quick.py by model name, such as "
                "--config=experiments/configs/quick.py:vae.")
  # ml_collections: an override of an unknown field.
  inner = e.args[0] if e.args else e
  while isinstance(inner, BaseException) and inner.args:   # AttributeError(KeyError(...))
    inner = inner.args[0]
  text = str(inner)
  quoted = re.findall(r"'([^']+)'", text)
  field = quoted[0] if quoted else text.strip("\"'").splitlines()[0]
  typed = [a.split("=")[0] for a in argv[1:] if field in a.split("=")[0].split(".")[1:]]
  hint = re.search(r'Did you mean "([^"]+)"', text)
  _usage_exit(f"{typed[0] if typed else field}: no such field in the config"
              f"{f' (did you mean {hint.group(1)}?)' if hint else ''}; check its spelling "
              "against the config file.")


def config_flag(error: ConfigError) -> str:
  """The flag that sets a config field, as the user types it."""
  return f"{SETTING_FLAGS['config_prefix']}{error.field}"


def _out_of_memory(e: BaseException) -> str:
  first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
  free, where = memory.available()
  return (f"the run ran out of memory ({first[:200]}; {memory.human(free)} free in {where}); "
          f"lower the sizes it holds at once (batch sizes, widths, sample counts), or free "
          f"memory; {FIXES['resume']()}.")


def _raise_interrupted(signum, frame):
  del frame
  raise Interrupted(signal.Signals(signum).name)


_SAID = []   # set once the run's last sentence is written (the watchdog then adds none)


def _resume_fix() -> str:
  try:
    return FIXES["resume"]()
  except Exception:  # noqa: BLE001 (a sentence must still come out)
    return "run the same command again"


def run(main: Callable[[Sequence[str]], object],
        diverged_fix: Callable[[], str] = lambda: "lower the learning rate and train again.",
        ) -> None:
  """app.run with exit code 2 and one sentence for bad flags, unusable data, bad configs,
  unreadable checkpoints, diverged training and runs that cannot go on. `diverged_fix()` words
  what to change after a diverged run, in the binary's flags."""
  def guarded(argv):
    if not FLAGS["verbosity"].present:  # Orbax and JAX log every step at INFO level.
      absl_logging.set_verbosity(absl_logging.WARNING)
    for signum in (signal.SIGINT, signal.SIGTERM):   # SIGTERM: how TPU pods preempt.
      signal.signal(signum, _raise_interrupted)
    signals.watch(lambda: bool(_SAID), _resume_fix, USAGE_EXIT)
    try:
      if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; every option is a --flag.")
      check_numeric_flags()
      return main(argv)
    except app.UsageError as e:   # One sentence, not absl's page of module docs.
      _usage_exit(str(e))
    except ConfigError as e:
      _usage_exit(f"{config_flag(e)}: {e.message}")
    except DataError as e:
      _error_exit(e.worded(SETTING_FLAGS["data_dir"], SETTING_FLAGS["config_prefix"]))
    except CheckpointError as e:
      _error_exit(f"{e}; delete that directory to fall back to an earlier checkpoint, or "
                  "train into a new --workdir.")
    except DivergedError as e:
      _error_exit(f"{e}; {diverged_fix()}")
    except MismatchError as e:
      _error_exit(f"{e}; repeat the settings it was trained with, or train into a new "
                  "--workdir.")
    except DataMismatchError as e:
      _error_exit(f"{e}; {FIXES['data_mismatch']()}.")
    except OutputError as e:
      _error_exit(f"{e}; free space on that disk or make it writable (or choose another "
                  f"--workdir); {FIXES['resume']()}.")
    except ResultError as e:
      _error_exit(f"{e}; a setting drove the computation out of float32's range (an overflow "
                  "or an underflow): bring the settings back toward their defaults.")
    except (RunError, AEError) as e:
      _error_exit(f"{e}")
    except Exception as e:  # noqa: BLE001 (XLA's allocation failures have no type of their own)
      if not memory.is_out_of_memory(e):
        raise
      _error_exit(_out_of_memory(e))
    except KeyboardInterrupt as e:   # Interrupted (SIGINT or SIGTERM), or one raised elsewhere.
      name = e.signal_name if isinstance(e, Interrupted) else "SIGINT"
      _error_exit(f"interrupted by {name}; {FIXES['resume']()}.")
  # JAX reports at INFO level each backend it cannot find (TPU on a GPU/CPU box): noise here.
  logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
  # Orbax writes through asyncio tasks; when a write fails (a full disk) each of its sibling
  # tasks is logged as "Task exception was never retrieved" with a traceback, after the one
  # sentence that already said what failed. The sentence is the report.
  logging.getLogger("asyncio").setLevel(logging.CRITICAL)
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


def prepare_workdir(workdir: str, flag: str = "workdir", lock: bool = True) -> str:
  """Creates workdir, checks that it can be written and takes its lock for the whole run (see
  `io.lock_directory`; under jax.distributed only process 0 takes it). A usage error names
  --`flag` when the directory cannot be written, when another process holds it (its PID named)
  or when another binary wrote it (a training run is written by train and evaluate only)."""
  if not workdir:
    raise usage_error(flag, "is required: name a directory for the outputs.")
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise usage_error(flag, f"{workdir} is a file, not a directory; choose a directory.")
  name_max = os.pathconf("/", "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
  long_part = next((p for p in workdir.split(os.sep) if len(p.encode()) > name_max), None)
  if long_part is not None:
    raise usage_error(flag, f"a name in it is {len(long_part.encode())} bytes long "
                      f"({long_part[:12]}...), more than the file system allows ({name_max}); "
                      "choose a shorter path.")
  if len(os.path.abspath(workdir).encode()) >= 4096:
    raise usage_error(flag, f"its path is {len(os.path.abspath(workdir).encode())} bytes long, "
                      "more than the file system allows (4095); choose a shorter path.")
  try:
    os.makedirs(workdir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=workdir, prefix=".probe-"):
      pass
  except OSError as e:
    raise usage_error(flag, f"{workdir} cannot be written ({e.strerror}); "
                      "choose a directory you can write to.") from e
  if lock and not (jax.distributed.is_initialized() and jax.process_index() != 0):
    _lock(workdir, flag)
  return workdir


def _lock(workdir: str, flag: str) -> None:
  try:
    refusal = workdirs.take(workdir)
  except OSError as e:
    raise usage_error(flag, f"{workdir} cannot be locked ({e.strerror}); choose a directory on "
                      "a local file system you can write to.") from e
  if refusal:
    raise usage_error(flag, refusal.replace("--workdir", f"--{flag}"))


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
