"""Does compiling the scanned epoch in a thread, while the main thread compiles and runs the
state's initialisation, bring a cold start of the reference VAE's first epoch forward?

  python scripts/startup_overlap.py serial       # initialise, then compile the epoch
  python scripts/startup_overlap.py overlapped   # compile the epoch from jax.eval_shape's
                                                 # abstract state in a thread meanwhile

Prints seconds since the script started at each phase, and the first epoch's loss (the same in
both modes). It does not turn on the compilation cache, so every compile is cold. Measured on
2026-11-28: no gain (BENCHMARKS.md).
"""
import sys
import threading

import startup_phases   # Starts the clock; its reference_vae() is the shared set-up.
from startup_phases import mark  # noqa: E402

import jax  # noqa: E402
from ae.training import sharding, step  # noqa: E402

if sys.argv[1:] not in (["serial"], ["overlapped"]):
  sys.exit("usage: python scripts/startup_overlap.py serial|overlapped")
config, splits, model = startup_phases.reference_vae()
init = jax.jit(model.init_state, out_shardings=sharding.replicated(sharding.data_mesh()))
key = jax.random.PRNGKey(config.train.seed)
epoch = step.make_train_epoch(model.train_step(), config.train.batch_size)
if sys.argv[1] == "overlapped":
  abstract = jax.eval_shape(init, key)
  compiled = {}

  def compile_epoch():
    compiled["epoch"] = epoch.lower(abstract, splits["train"], key).compile()
    mark("epoch compiled (in the thread)")
  thread = threading.Thread(target=compile_epoch)
  thread.start()
  state = jax.block_until_ready(init(key))
  mark("state initialised")
  thread.join()
  compiled = compiled["epoch"]
else:
  state = jax.block_until_ready(init(key))
  mark("state initialised")
  compiled = epoch.lower(state, splits["train"], key).compile()
  mark("epoch compiled")
mark("first epoch ready to run")
state, metrics = compiled(state, splits["train"], key)
mark(f"first epoch done, loss {float(metrics['loss']):.4f}")
