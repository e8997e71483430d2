r"""Kill a training run with SIGKILL and start it again: it must end as an uninterrupted run.

Runs `experiments.train` three times with the same flags: once straight through into
WORKDIR/straight; once into WORKDIR/resumed, killed (SIGKILL) as soon as epoch --kill_after is in
its metrics.jsonl; then again into WORKDIR/resumed, which resumes from the latest checkpoint.
metrics.json compares the final metrics of both. Exit code 1 if they differ.

  python -m experiments.resume_check --workdir=runs/resume_check \
      --train_args="--config=experiments/configs/ae.py --config.train.epochs=4"
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

from absl import flags

from experiments import cli

WORKDIR = flags.DEFINE_string("workdir", None, "Directory for the two runs and metrics.json.")
KILL_AFTER = flags.DEFINE_integer("kill_after", 2, "Kill the run once this epoch is logged.")
TRAIN_ARGS = flags.DEFINE_string("train_args", "--config=experiments/configs/ae.py "
                                 "--config.train.epochs=4",
                               "Flags for experiments.train (comma-separated).")
cli.require_positive("kill_after")
COMPARED = ("train_loss", "test_loss", "test_nll", "step", "epoch")


def _train_command(workdir):
  return [sys.executable, "-m", "experiments.train", f"--workdir={workdir}", *shlex.split(TRAIN_ARGS.value)]


def _logged_epochs(workdir) -> int:
  try:
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      return sum(1 for line in f if line.strip())
  except FileNotFoundError:
    return 0


def main(argv):
  del argv
  try:
    shlex.split(TRAIN_ARGS.value)
  except ValueError as e:
    raise cli.usage_error("train_args", f"does not split into flags ({e}); close every quote.")
  root = cli.prepare_workdir(WORKDIR.value)
  straight, resumed = os.path.join(root, "straight"), os.path.join(root, "resumed")
  for d in (straight, resumed):
    if os.path.exists(os.path.join(d, "config.json")):
      raise cli.usage_error("workdir", f"{d} already holds a run; choose an empty --workdir.")
  cli.write_config(root)
  cli.run_command(_train_command(straight))

  process = subprocess.Popen(_train_command(resumed), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  while _logged_epochs(resumed) < KILL_AFTER.value and process.poll() is None:
    time.sleep(0.05)
  if process.poll() is not None:
    raise cli.RunError(f"the run finished before epoch {KILL_AFTER.value} was logged; "
                       "train for more --epochs.")
  process.send_signal(signal.SIGKILL)
  process.wait()
  killed_at = _logged_epochs(resumed)
  restarted = cli.run_command(_train_command(resumed))
  resume_line = [l for l in restarted.stderr.splitlines() if l.startswith("resuming")]

  finals = []
  for d in (straight, resumed):
    with open(os.path.join(d, "metrics.json")) as f:
      finals.append(json.load(f))
  identical = all(finals[0][k] == finals[1][k] for k in COMPARED)
  metrics = {"killed_after_epochs_logged": killed_at,
             "resumed_from": resume_line[0] if resume_line else None,
             "straight": {k: finals[0][k] for k in COMPARED},
             "resumed": {k: finals[1][k] for k in COMPARED}, "identical": identical}
  cli.write_json(os.path.join(root, "metrics.json"), metrics)
  print(f"killed with SIGKILL after {killed_at} epoch(s) logged; "
        f"{metrics['resumed_from'] or 'no checkpoint was finished, so the restart began anew'}")
  print(cli.format_table(["run"] + list(COMPARED),
                         [[name] + [metrics[name][k] for k in COMPARED]
                          for name in ("straight", "resumed")]))
  print(f"final metrics identical: {identical}")
  if not identical:
    sys.exit(1)


if __name__ == "__main__":
  cli.run(main)
