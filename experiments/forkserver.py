"""A fork server for commands of the binaries: one Python process that has imported what every
binary imports (jax, flax, optax, the library, experiments.cli) and forks a child per command,
which runs `python -m experiments.BINARY ARGS` as the interpreter would (runpy, as __main__),
with the command's environment, working directory and its stdout and stderr in files. A command
then costs its own work, not 2-3 s of imports; what it prints and its exit code are the
binary's. Used by `experiments.lecture` for its steps and by the tests for the bad-input rows
(tests/zygote.py).

Protocol (JSON lines): stdin {"id", "binary", "args", "env", "cwd", "out", "err"}; stdout
{"id", "pid"} once forked, then {"id", "status"} (os.waitpid's) when the child has ended.
Started by `Zygote` below (the client's side).
"""

import json
import os
import signal
import subprocess
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
    same = request["err"] == request["out"]   # one log: one file offset for both
    for fd, path in ((1, request["out"]), (2, request["err"])):
      if fd == 2 and same:
        os.dup2(1, 2)
        continue
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


# --------------------------------------------------------------------------------- the client


class Forked:
  """The parts of subprocess.Popen a caller uses, for a child of the Zygote."""

  def __init__(self, zygote, request_id: int, pid: int, out: str, err: str):
    self._zygote, self._id, self.pid = zygote, request_id, pid
    self._out, self._err = out, err
    self.returncode = None

  def _ended(self, timeout=None) -> bool:
    status = self._zygote.status(self._id, timeout)
    if status is None:
      return False
    self.returncode = os.waitstatus_to_exitcode(status)
    return True

  def poll(self):
    if self.returncode is None:
      self._ended(0)
    return self.returncode

  def send_signal(self, signum: int) -> None:
    if self.returncode is None:
      try:
        os.kill(self.pid, signum)
      except ProcessLookupError:
        pass

  def kill(self) -> None:
    self.send_signal(signal.SIGKILL)

  def communicate(self, timeout=None):
    if self.returncode is None and not self._ended(timeout):
      raise subprocess.TimeoutExpired("forked command", timeout)
    out = []
    for path in (self._out, self._err):
      with open(path, errors="replace") as f:
        out.append(f.read())
    return tuple(out)


class Zygote:
  """The server (python -m experiments.forkserver), started once from the repository root
  `root`; `start` forks a command from it. Commands run with `env` (default: this process's
  environment when the server starts) and write their output under `scratch`."""

  def __init__(self, root: str, scratch: str, env: dict | None = None):
    self._scratch = scratch
    self._env = dict(os.environ if env is None else env)
    self._process = subprocess.Popen([sys.executable, "-m", "experiments.forkserver"], cwd=root,
                                     env=self._env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
    self._lock = threading.Condition()
    self._pids, self._statuses, self._next = {}, {}, 0
    threading.Thread(target=self._listen, daemon=True).start()

  def _listen(self) -> None:
    for line in self._process.stdout:
      message = json.loads(line)
      with self._lock:
        if "pid" in message:
          self._pids[message["id"]] = message["pid"]
        else:
          self._statuses[message["id"]] = message["status"]
        self._lock.notify_all()
    with self._lock:   # The zygote ended: every child still waited for is lost.
      self._statuses.setdefault(-1, None)
      self._lock.notify_all()

  def status(self, request_id: int, timeout=None):
    with self._lock:
      self._lock.wait_for(lambda: request_id in self._statuses or -1 in self._statuses,
                          timeout)
      if request_id not in self._statuses and -1 in self._statuses:
        raise RuntimeError("the zygote process ended")
      return self._statuses.get(request_id)

  def start(self, binary: str, args: list, cwd: str, out: str | None = None,
            err: str | None = None) -> Forked:
    """Forks `python -m experiments.BINARY ARGS` in cwd; its stdout and stderr go to the files
    out and err (default: numbered files under scratch; the same path for both is one log)."""
    with self._lock:
      request_id, self._next = self._next, self._next + 1
    out = out or os.path.join(self._scratch, f"{request_id}.out")
    err = err or os.path.join(self._scratch, f"{request_id}.err")
    request = {"id": request_id, "binary": binary, "args": args, "env": self._env, "cwd": cwd,
               "out": out, "err": err}
    with self._lock:
      self._process.stdin.write(json.dumps(request) + "\n")
      self._process.stdin.flush()
      self._lock.wait_for(lambda: request_id in self._pids or -1 in self._statuses, 60)
      if request_id not in self._pids:
        raise RuntimeError("the zygote did not fork")
      pid = self._pids[request_id]
    return Forked(self, request_id, pid, out, err)

  def close(self) -> None:
    self._process.stdin.close()
    self._process.wait(timeout=60)


# --------------------------------------------------------------------------------- the server


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
