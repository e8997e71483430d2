"""A fork server for the bad-input rows: one Python process that has imported what every binary
imports (jax, flax, optax, the library, experiments.cli) and forks a child per command, which
runs `python -m experiments.BINARY ARGS` as the interpreter would (runpy, as __main__), with the
command's environment, working directory and its stdout and stderr in files. A row then costs
its own work, not 2-3 s of imports; what it prints and its exit code are the binary's.

Protocol (JSON lines): stdin {"id", "binary", "args", "env", "cwd", "out", "err"}; stdout
{"id", "pid"} once forked, then {"id", "status"} (os.waitpid's) when the child has ended.
Started by tests/bad_input_runner.Zygote; the rows whose fault is the interpreter's own start-up
(a signal during its imports, ulimits set by a shell) keep real processes.
"""

import json
import os
import sys
import threading

_WRITE = threading.Lock()
_IDS = {}


def _say(message: dict) -> None:
  with _WRITE:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _child(request: dict) -> None:
  import runpy
  code = 1
  try:
    for fd, path in ((1, request["out"]), (2, request["err"])):
      target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
      os.dup2(target, fd)
      os.close(target)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["-m", *request["args"]]
    try:
      runpy.run_module(f"experiments.{request['binary']}", run_name="__main__", alter_sys=True)
      code = 0
    except SystemExit as e:
      if e.code is None:
        code = 0
      elif isinstance(e.code, int):
        code = e.code
      else:
        sys.stderr.write(f"{e.code}\n")
        code = 1
    except BaseException:  # noqa: BLE001 (the interpreter's own report of an uncaught error)
      import traceback
      traceback.print_exc()
      code = 1
    import atexit
    atexit._run_exitfuncs()   # noqa: SLF001 (what the interpreter runs at exit)
  finally:
    try:
      sys.stdout.flush()
      sys.stderr.flush()
    finally:
      os._exit(code)


def _reap() -> None:
  while True:
    try:
      pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
      threading.Event().wait(0.02)
      continue
    with _WRITE:
      request_id = _IDS.pop(pid, None)
    if request_id is not None:
      _say({"id": request_id, "status": status})


def main() -> None:
  import jax  # noqa: F401  The imports every binary shares, done once; no backend is started.
  import flax  # noqa: F401
  import optax  # noqa: F401
  import experiments.cli  # noqa: F401
  import ae.training.loop  # noqa: F401
  import orbax.checkpoint  # noqa: F401  What a training run imports at its first epoch's end.
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot  # noqa: F401
  from tensorboard.summary.writer import event_file_writer  # noqa: F401
  import threading as _threading
  assert _threading.active_count() == 1, "a thread before fork would be lost in the children"
  threading.Thread(target=_reap, daemon=True).start()
  for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    with _WRITE:   # The child's pid is known to the reaper before the child can end.
      pid = os.fork()
      if pid == 0:
        _child(request)
      _IDS[pid] = request["id"]
    _say({"id": request["id"], "pid": pid})


if __name__ == "__main__":
  main()
