r"""The lecture companion: runs every experiment the five parts need, then builds a static,
offline site of them in WORKDIR/site/ (an index and one page per part: each section's figure,
its numbers read from the runs' JSON, the math as MathML and the command that made it).

  python -m experiments.lecture --workdir=runs/lecture --scale=quick
  python -m experiments.lecture --workdir=runs/lecture --scale=full \
      --mnist_dir=../shared/data/mnist

Runs go to WORKDIR/runs-SCALE/NAME (`experiments.companion.steps`); a finished step is reused
and an interrupted one resumes, so the same command goes on after an interruption and a second
call only rebuilds the site. Each step's output is in WORKDIR/logs/NAME.log.
"""

import os
import sys
import time

from absl import flags

from experiments import cli, forkserver
from experiments.companion import browser, site, steps as steps_lib

WORKDIR = flags.DEFINE_string("workdir", "runs/lecture", "Root of the runs and of site/.")
SCALE = flags.DEFINE_enum("scale", "quick", steps_lib.SCALES, "quick (about 10 minutes on 2 "
                          "cores), full (the README's settings) or tiny (the tests').")
FASHION_DIR = flags.DEFINE_string("fashion_mnist_dir", None, "IDX files of Fashion-MNIST "
                                  "(default: Debian's dataset-fashion-mnist, then tfds).")
MNIST_DIR = flags.DEFINE_string("mnist_dir", None, "IDX files of MNIST (default: tfds).")
SCREENSHOTS = flags.DEFINE_bool("screenshots", False, "Then save a screenshot of each page in "
                                 "WORKDIR/screenshots/ (headless Chromium).")
ONLY_SITE = flags.DEFINE_bool("only_site", False, "Build the site from the runs already there; "
                              "run nothing (a missing run's section says so).")


def _command(step, root: str) -> list:
  args = [a.replace("{root}", root) for a in step.args]
  return [sys.executable, "-m", f"experiments.{step.module}",
          f"--workdir={os.path.join(root, step.workdir or step.name)}", *args]


def run_steps(steps: list, root: str, logs: str) -> list:
  """Runs the steps not yet done, in order, each forked from one fork server that has done the
  binaries' imports once (`experiments.forkserver`); [name, status, seconds] per step. A
  failing step stops the run with its log's last line (and the site is not built)."""
  table, server = [], None
  try:
    for step in steps:
      server = _run_step(step, root, logs, table, server)
  finally:
    if server is not None:
      server.close()
  return table


def _run_step(step, root: str, logs: str, table: list, server):
  done = os.path.join(root, step.workdir or step.name, step.done)
  if os.path.exists(done):
    table.append([step.name, "reused", 0.0])
    return server
  command = _command(step, root)
  log = os.path.join(logs, f"{step.name}.log")
  print(f"=== {step.name}: {' '.join(command[2:])}", flush=True)
  start = time.time()
  if server is None:
    server = forkserver.Zygote(os.getcwd(), logs)
  process = server.start(step.module, command[3:], os.getcwd(), log, log)
  process.communicate()
  code, seconds = process.returncode, time.time() - start
  if code != 0 or not os.path.exists(done):
    with open(log, errors="replace") as f:
      lines = [l.strip() for l in f if l.strip()]
    said = [l for l in lines if l.startswith(("FATAL", "error:"))] or lines or ["no output"]
    raise cli.RunError(f"step {step.name} failed (exit {code}) after {seconds:.0f} s: "
                       f"{said[-1]} (its whole output: {log}); fix that and run the same "
                       "command again to go on")
  table.append([step.name, "ran", round(seconds, 1)])
  return server


def main(argv):
  del argv
  workdir = cli.prepare_workdir(WORKDIR.value)
  root = os.path.join(workdir, f"runs-{SCALE.value}")
  logs = os.path.join(workdir, "logs")
  os.makedirs(root, exist_ok=True)
  os.makedirs(logs, exist_ok=True)
  for flag in (FASHION_DIR, MNIST_DIR):
    if flag.value and not os.path.isdir(flag.value):
      raise cli.usage_error(flag.name, f"{flag.value} is not a directory; name the directory "
                            "that holds the IDX files.")
  if SCREENSHOTS.value and browser.missing():
    raise cli.usage_error("screenshots", f"needs a browser to drive: {browser.missing()}; or "
                          "leave it out.")
  steps = steps_lib.steps(SCALE.value, FASHION_DIR.value, MNIST_DIR.value)
  start = time.time()
  table = [] if ONLY_SITE.value else run_steps(steps, root, logs)
  commands = {s.name: "python " + " ".join(_command(s, root)[1:]) for s in steps}
  dirs = {s.name: s.workdir or s.name for s in steps}
  missing = [s.name for s in steps if not os.path.exists(os.path.join(root, dirs[s.name], s.done))]
  pages = site.build(os.path.join(workdir, "site"), root, SCALE.value, commands, dirs, missing)
  if table:
    print(cli.format_table(["step", "status", "seconds"], table))
  if SCREENSHOTS.value:
    shots = os.path.join(workdir, "screenshots")
    os.makedirs(shots, exist_ok=True)
    driver = browser.open_browser()
    try:
      for page in pages:
        browser.screenshot(driver, os.path.join(workdir, "site", page),
                           os.path.join(shots, page.replace(".html", ".png")))
    finally:
      driver.quit()
    print(f"screenshots in {shots}")
  print(f"{len(pages)} pages in {os.path.join(workdir, 'site')} "
        f"({time.time() - start:.0f} s); open {os.path.join(workdir, 'site', 'index.html')}")


if __name__ == "__main__":
  cli.run(main)
