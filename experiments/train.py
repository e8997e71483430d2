r"""Trains a model of any registered family with the shared training core.

The model and every setting come from a config file in experiments/configs/ (one preset per
model); any field can be overridden on the command line with --config.SECTION.FIELD=VALUE.

Writes under --workdir: config.json, metrics.jsonl (one line per epoch), metrics.json (the final
summary), TensorBoard events, checkpoints/ (the last few epochs) and figures: reconstructions,
the latent codes coloured by label (2-D codes), learning curves, and the family's own (the DAE's
noisy/denoised pairs). Running again with the same --workdir resumes from the latest checkpoint.

Several processes (hosts) form one job with --num_processes, --process_id and
--coordinator_address (or the JAX_NUM_PROCESSES, JAX_PROCESS_ID and JAX_COORDINATOR_ADDRESS
environment variables; --distributed_auto on Cloud TPU pods and SLURM). Every process runs the
same command with the same --workdir on a shared file system; each feeds its slice of every
batch, and process 0 writes the run's records.

  python -m experiments.train --config=experiments/configs/dae.py --workdir=runs/dae
  python -m experiments.train --config=experiments/configs/ae.py --config.model.latent_dim=2 \
      --config.train.epochs=5 --workdir=runs/ae2
  python -m experiments.train --config=experiments/configs/quick.py:sae --workdir=runs/quick
"""

import os
import sys

from absl import flags
from ml_collections import config_flags
import jax

from ae import io
from ae.training import checkpoints, config as config_lib, distributed, loop
from experiments import cli
from experiments.runs import check_resume

CONFIG = config_flags.DEFINE_config_file(
    "config", None, "A config file from experiments/configs/ (e.g. experiments/configs/ae.py); "
    "override fields with --config.SECTION.FIELD=VALUE.", lock_config=True)
WORKDIR = flags.DEFINE_string("workdir", None, "Directory for the run's outputs; an existing "
                              "run there is resumed.")
COORDINATOR = flags.DEFINE_string(
    "coordinator_address", os.environ.get("JAX_COORDINATOR_ADDRESS"), "host:port of process 0 "
    "in a multi-process job (default: $JAX_COORDINATOR_ADDRESS).")
NUM_PROCESSES = flags.DEFINE_integer(
    "num_processes", None, "Processes in the job (default: $JAX_NUM_PROCESSES, else 1: no "
    "multi-process job).", lower_bound=1)
PROCESS_ID = flags.DEFINE_integer(
    "process_id", None, "This process's index in the job (default: $JAX_PROCESS_ID, else 0).",
    lower_bound=0)
DISTRIBUTED_TIMEOUT = flags.DEFINE_float(
    "distributed_timeout", 60.0, "Seconds to wait at start-up for every process of a "
    "multi-process job; a job whose peers never come ends after it (exit 2).")
cli.require_positive("distributed_timeout", high=86400)
DISTRIBUTED_AUTO = flags.DEFINE_bool(
    "distributed_auto", False, "Join the multi-process job that JAX detects by itself (Cloud TPU "
    "pods, SLURM) instead of the three flags above.")
cli.SETTING_FLAGS["data_dir"] = "--config.data.data_dir"


def join_job() -> None:
  """Joins the multi-process job the flags describe, if any (before any device is touched).
  The address is checked before JAX sees it; a job whose peers do not come within
  --distributed_timeout, a failed start and a signal during the wait each end the process in
  one sentence with exit 2 (os._exit: JAX's waiting thread is still inside C++)."""
  if DISTRIBUTED_AUTO.value:
    _start(None, None, None, "the job JAX detected")
    return
  count = _flag_or_env(NUM_PROCESSES, "num_processes", "JAX_NUM_PROCESSES", 1)
  index = _flag_or_env(PROCESS_ID, "process_id", "JAX_PROCESS_ID", 0)
  if count == 1:
    return
  if not 0 <= index < count:
    raise cli.usage_error("process_id", f"{index} is not below --num_processes={count}; "
                          f"number the processes 0 to {count - 1}.")
  if not COORDINATOR.value:
    raise cli.usage_error("coordinator_address", "is required when --num_processes is above 1: "
                          "give host:port of process 0, as in "
                          "--coordinator_address=10.0.0.1:1234.")
  try:
    _, port = distributed.parse_address(COORDINATOR.value)
  except ValueError as e:
    raise cli.usage_error("coordinator_address", f"{e}; give host:port of process 0, as in "
                          "--coordinator_address=10.0.0.1:1234.") from None
  if index == 0:   # Process 0 hosts the coordination service on that port, on this machine.
    try:
      distributed.check_port_free(port)
    except OSError as e:
      raise cli.usage_error("coordinator_address", f"port {port} cannot be used on this "
                            f"machine ({e.strerror}); process 0 hosts the job there, so choose "
                            "a free port for every process.") from None
  _start(COORDINATOR.value, count, index,
         f"process {index} of {count}, coordinator {COORDINATOR.value}")


def _start(address, count, index, which: str) -> None:
  timeout = DISTRIBUTED_TIMEOUT.value
  try:
    distributed.initialize(address, count, index, timeout_s=timeout)
    return
  except distributed.StartTimeout:
    message = (f"the job's processes did not all join within --distributed_timeout="
               f"{timeout:g} s ({which}); start every process of the job with the same "
               "--coordinator_address, check that process 0's host and port are reachable "
               "from every host, or raise --distributed_timeout.")
  except KeyboardInterrupt as e:   # Interrupted: SIGINT or SIGTERM during the wait.
    name = getattr(e, "signal_name", "SIGINT")
    message = (f"interrupted by {name} while waiting for the job's processes ({which}); "
               "nothing was written; run the same command again.")
  except Exception as e:  # noqa: BLE001 (JAX's runtime errors have no narrower common type)
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    message = (f"the multi-process job could not start ({which}: {first[:300]}); check "
               "--coordinator_address, --num_processes and --process_id on every host.")
  sys.stdout.flush()
  sys.stderr.write(f"error: {message}\n")
  sys.stderr.flush()
  os._exit(cli.USAGE_EXIT)


def _flag_or_env(flag, name: str, variable: str, default: int) -> int:
  if flag.value is not None:
    return flag.value
  text = os.environ.get(variable)
  if text is None:
    return default
  if not text.strip().isdigit() or (name == "num_processes" and int(text) < 1):
    raise cli.usage_error(name, f"${variable}={text!r} is not a valid count; set it to a whole "
                          f"number or pass --{name}.")
  return int(text)
cli.FIXES["data_mismatch"] = lambda: ("point --config.data.data_dir at the data it was trained "
                                      "on, or train into a new --workdir")


def nothing_to_do(workdir: str, config) -> bool:
  """True (after saying so) when workdir already holds train.epochs epochs; a usage error when
  it holds more. Either way nothing in workdir changes."""
  done = checkpoints.latest_step(workdir)
  if done is None or done < config.train.epochs:
    return False
  if done > config.train.epochs:
    raise cli.usage_error("config.train.epochs", f"{config.train.epochs} is below the {done} "
                          f"epochs {workdir} already holds; nothing was changed. Raise it above "
                          f"{done} to train further, or choose a new --workdir.")
  print(f"nothing to do: {workdir} already holds all {done} epochs; raise "
        f"--config.train.epochs above {done} to train further.")
  return True


def resume_note() -> str:
  workdir = WORKDIR.value
  done = checkpoints.latest_step(workdir) if workdir else None
  if done is None:
    return f"no checkpoint was written yet; the same command starts {workdir} afresh"
  return (f"the last checkpoint is {os.path.join(workdir, 'checkpoints', str(done))} (epoch "
          f"{done}), and the same command resumes from it")


def main(argv):
  del argv
  join_job()
  config = config_lib.validate(cli.config_value(CONFIG))
  workdir = cli.prepare_workdir(WORKDIR.value)
  check_resume(workdir, config)
  if nothing_to_do(workdir, config):
    return
  result = loop.train_and_evaluate(config, workdir)
  if not distributed.is_primary():   # Process 0 writes the figures and the summary.
    return
  from ae.evaluation import figures   # matplotlib: imported when there is something to draw.
  for name, figure in figures.run_figures(result.model, result.state, result.history,
                                          result.splits["test"]).items():
    io.save_figure(figure, os.path.join(workdir, f"{name}.png"))
  final = dict(result.history[-1]) if result.history else {}
  final.update(epochs_run=int(final.get("epoch", 0)), device=jax.devices()[0].platform,
               data_source=result.splits["train"].source)
  io.write_json(os.path.join(workdir, "metrics.json"), final)
  names = result.model.metric_names
  rows = [[h["epoch"], *(h.get(f"train_{k}", "") for k in names),
           *(h.get(f"test_{k}", "") for k in names),
           f"{h['train_examples_per_second']:.0f}"] for h in result.history]
  print(cli.format_table(["epoch", *(f"train {k}" for k in names),
                          *(f"test {k}" for k in names), "train ex/s"], rows))
  print(f"outputs in {workdir}")


def diverged_fix() -> str:
  """What to change after a divergence: the likelihood when even the mean image's NLL under it
  is not finite (no learning rate can fix that: the loss overflows before any update), else the
  learning rate or the likelihood."""
  m, t = CONFIG.value.model, CONFIG.value.train
  done = checkpoints.latest_step(WORKDIR.value)
  kept = ("no checkpoint was written" if done is None else
          f"the checkpoint of epoch {done} is kept")
  try:
    recorded = io.read_json(os.path.join(WORKDIR.value, "config.json"))
  except (OSError, ValueError):
    recorded = {}
  if isinstance(recorded, dict) and "mean_image_nll" in recorded and (
      recorded["mean_image_nll"] is None):
    return (f"{kept}. The likelihood overflows on the mean image itself (its NLL is not "
            f"finite), so the learning rate is not the cause: with "
            f"--config.model.likelihood={m.likelihood}, raise --config.model.sigma (now "
            f"{m.sigma:g}) or choose another likelihood, and train into a new --workdir.")
  return (f"{kept}. Lower --config.train.learning_rate (now {t.learning_rate:g}) or check the "
          f"likelihood (--config.model.likelihood={m.likelihood}, --config.model.sigma="
          f"{m.sigma:g}), and train into a new --workdir.")


cli.FIXES["resume"] = resume_note

if __name__ == "__main__":
  cli.run(main, diverged_fix)
