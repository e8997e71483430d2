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
JOBS = flags.DEFINE_integer("jobs", min(os.cpu_count() or 1, 4), "Steps run at once (each "
                            "once the steps it needs have finished).")
cli.require_positive("jobs", high=64)
ONLY_SITE = flags.DEFINE_bool("only_site", False, "Build the site from the runs already there; "
                              "run nothing (a missing run's section says so).")


def _command(step, root: str) -> list:
  args = [a.replace("{root}", root) for a in step.args]
  return [sys.executable, "-m", f"experiments.{step.module}",
          f"--workdir={os.path.join(root, step.workdir or step.name)}", *args]


def run_steps(steps: list, root: str, logs: str, jobs: int) -> list:
  """Runs the steps not yet done, up to `jobs` at once, each once the steps it needs have
  finished (`steps.dependencies`), every one forked from one fork server that has done the
  binaries' imports once (`experiments.forkserver`); [name, status, seconds] per step in the
  steps' order. A failing step stops the run (the running ones are let finish) with its log's
  last line, and the site is not built."""
  needs = steps_lib.dependencies(steps)
  done = lambda s: os.path.exists(os.path.join(root, s.workdir or s.name, s.done))
  status = {s.name: ("reused", 0.0) for s in steps if done(s)}
  waiting = [s for s in steps if s.name not in status]
  running, failed, server = {}, None, None
  try:
    while waiting or running:
      ready = [s for s in waiting if needs[s.name] <= {n for n, v in status.items()
                                                       if v[0] != "failed"}]
      while ready and len(running) < jobs and failed is None:
        step = ready.pop(0)
        waiting.remove(step)
        server = server or forkserver.Zygote(os.getcwd(), logs)
        command = _command(step, root)
        print(f"=== {step.name}: {' '.join(command[2:])}", flush=True)
        log = os.path.join(logs, f"{step.name}.log")
        running[step.name] = (step, server.start(step.module, command[3:], os.getcwd(), log,
                                                 log), time.time(), log)
      if not running:
        break   # a failure, or nothing left that can start
      time.sleep(0.05)
      for name, (step, process, start, log) in list(running.items()):
        if process.poll() is None:
          continue
        del running[name]
        seconds = round(time.time() - start, 1)
        ok = process.returncode == 0 and done(step)
        status[name] = ("ran" if ok else "failed", seconds)
        if not ok and failed is None:
          failed = (step, process.returncode, seconds, log)
  finally:
    if server is not None:
      server.close()
  if failed is not None:
    step, code, seconds, log = failed
    with open(log, errors="replace") as f:
      lines = [l.strip() for l in f if l.strip()]
    said = [l for l in lines if l.startswith(("FATAL", "error:"))] or lines or ["no output"]
    raise cli.RunError(f"step {step.name} failed (exit {code}) after {seconds:.0f} s: "
                       f"{said[-1]} (its whole output: {log}); fix that and run the same "
                       "command again to go on")
  return [[s.name, *status[s.name]] for s in steps if s.name in status]


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
  table = [] if ONLY_SITE.value else run_steps(steps, root, logs, JOBS.value)
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
