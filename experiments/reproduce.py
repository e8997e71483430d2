r"""The papers' MNIST protocols, side by side with their published numbers.

  python -m experiments.reproduce --workdir=runs/papers --data_dir=../shared/data/mnist
  python -m experiments.reproduce --workdir=runs/papers --only=flax_vae,m2_100 --seeds=3
  python -m experiments.reproduce --workdir=runs/papers --only=iwae_table1/vae_k5,iwae_table1/iwae_k5 \
      --max_epochs=40

Each protocol (experiments/protocols/, presets in experiments/configs/papers/) trains and
measures into WORKDIR/NAME/; a finished protocol is not rerun (its WORKDIR/NAME/result.json,
for the same settings), an interrupted one resumes from its runs' checkpoints and cached
measurements: the same command goes on where it stopped. Then, from every finished protocol in
the workdir:

  papers.json          {row: {"paper", "paper_std", "ours", "ours_std", "unit", "seeds",
                       "epochs_run", "epochs_protocol", "seconds", "command"}}, rows named
                       NAME or NAME/ROW (iwae_table1/vae_k5); ours is the mean over the seeds
                       (or label draws), ours_std their standard deviation (ddof 1; null for
                       one seed); paper is null where the paper gives only a figure
  papers_details.json  per protocol: citation, what differs, the anchors' sources; the machine
  papers.md            the table

--only takes protocol names or rows; --seeds overrides every protocol's count (the paper's
draws, at least 3 where it reports a +-); --max_epochs caps every training run (the rows say how
many epochs ran of the protocol's); --nll_samples lowers the importance samples of the NLLs
(5000 in the protocols) for a quick look.
"""

import os
import shlex

from absl import flags
import numpy as np

from ae import data, io
from experiments import cli, machine
from experiments import protocols as registry
from experiments.protocols import context, tables

WORKDIR = flags.DEFINE_string("workdir", None, "Where every protocol's runs and the tables go.")
ONLY = flags.DEFINE_list("only", [], "Protocols (or rows, NAME/ROW) to run; default: all.")
SEEDS = flags.DEFINE_integer("seeds", None, "Seeds or label draws per protocol (default: the "
                             "paper's).")
DATA_DIR = flags.DEFINE_string("data_dir", None, "A directory of MNIST's IDX files (default: "
                               "$AE_DATA_DIR, else tfds).")
MAX_EPOCHS = flags.DEFINE_integer("max_epochs", None, "At most this many epochs per training "
                                  "run (default: each protocol's).")
NLL_SAMPLES = flags.DEFINE_integer("nll_samples", None, "Importance samples of the NLLs "
                                   "(default: each protocol's, 5000).")
for _name in ("seeds", "max_epochs", "nll_samples"):
  cli.require_positive(_name)
cli.SETTING_FLAGS["data_dir"] = "--data_dir"


def selection(protocols: dict) -> dict:
  """{protocol name: the rows asked for}; every row of every protocol without --only."""
  if not ONLY.value:
    return {name: set(p.anchors) for name, p in protocols.items()}
  chosen = {}
  for item in (v.strip() for v in ONLY.value):
    name, _, row = item.partition("/")
    if name not in protocols:
      raise cli.usage_error("only", f"{item!r} is not a protocol; choose from "
                            f"{', '.join(protocols)} (or NAME/ROW).")
    if row and row not in protocols[name].anchors:
      raise cli.usage_error("only", f"{item!r} is not a row of {name}; its rows are "
                            f"{', '.join(registry.row_name(name, r) for r in protocols[name].anchors)}.")
    chosen.setdefault(name, set()).update({row} if row else set(protocols[name].anchors))
  return chosen


def command(name: str, rows: set, protocol) -> str:
  only = name if rows == set(protocol.anchors) else ",".join(
      sorted(registry.row_name(name, r) for r in rows))
  parts = ["python", "-m", "experiments.reproduce", f"--workdir={WORKDIR.value}",
           f"--only={only}"]
  for flag in (SEEDS, MAX_EPOCHS, NLL_SAMPLES, DATA_DIR):
    if flag.value is not None:
      parts.append(f"--{flag.name}={flag.value}")
  return " ".join(shlex.quote(p) for p in parts)


def settings(rows: set, protocol) -> dict:
  return {"rows": sorted(rows), "seeds": SEEDS.value or protocol.seeds,
          "max_epochs": MAX_EPOCHS.value, "nll_samples": NLL_SAMPLES.value}


def run_protocol(name: str, protocol, rows: set) -> dict:
  """The protocol's result.json: its values per row, reused when its settings match."""
  root = os.path.join(WORKDIR.value, name)
  path = os.path.join(root, "result.json")
  wanted = settings(rows, protocol)
  if os.path.exists(path):
    try:
      done = io.read_json(path)
    except ValueError:
      done = {}
    if done.get("settings") == wanted:
      print(f"{name}: finished before ({path}); not rerun")
      return done
  ctx = context.Context(root, DATA_DIR.value, wanted["seeds"], MAX_EPOCHS.value,
                        command(name, rows, protocol))
  ctx.rows = rows
  ctx.nll_samples = NLL_SAMPLES.value
  values = protocol.run(ctx)
  for row, found in values.items():
    if not found or not all(np.isfinite(found)):
      from ae.errors import ResultError
      raise ResultError(f"{registry.row_name(name, row)} measured {found}, not a finite number")
  result = {"settings": wanted, "values": values, "epochs_run": ctx.epochs_run,
            "seconds": ctx.seconds, "command": ctx.command}
  io.write_json(path, result)
  return result


def rows_of(name: str, protocol, result: dict) -> dict:
  out = {}
  for row in [r for r in protocol.anchors if r in result["values"]]:
    anchor, values = protocol.anchors[row], result["values"][row]
    values = np.asarray(values, np.float64)
    out[registry.row_name(name, row)] = {
        "paper": anchor.paper, "paper_std": anchor.paper_std,
        "ours": float(values.mean()),
        "ours_std": float(values.std(ddof=1)) if values.size > 1 else None,
        "unit": anchor.unit, "seeds": int(values.size),
        "epochs_run": int(result["epochs_run"]), "epochs_protocol": protocol.epochs,
        "seconds": round(float(result["seconds"]), 1), "command": result["command"]}
  return out


README_FROM = flags.DEFINE_string("readme_from", None, "Print the README's tables of a "
                                  "papers.json (and the iwae_stages.json beside it), run nothing.")


def main(argv):
  del argv
  if README_FROM.value:
    print(tables.readme(README_FROM.value), end="")
    return
  protocols = registry.all_protocols()
  chosen = selection(protocols)
  data.load("mnist", "test", DATA_DIR.value, max_examples=100)   # Bad data: refused up front.
  root = cli.prepare_workdir(WORKDIR.value)
  for name, rows in chosen.items():
    run_protocol(name, protocols[name], rows)
  rows, details = {}, {"machine": machine.describe(), "protocols": {}}
  for name, protocol in protocols.items():   # Every finished protocol in the workdir.
    path = os.path.join(root, name, "result.json")
    if not os.path.exists(path):
      continue
    rows.update(rows_of(name, protocol, io.read_json(path)))
    details["protocols"][name] = {
        "citation": protocol.citation, "differs": protocol.differs,
        "sources": sorted({a.source for a in protocol.anchors.values()})}
  io.write_json(os.path.join(root, "papers.json"), rows)
  io.write_json(os.path.join(root, "papers_details.json"), details)
  table = tables.markdown(rows)
  io.write_lines(os.path.join(root, "papers.md"), table.splitlines())
  print(table, end="")
  print(f"outputs in {root}")


if __name__ == "__main__":
  cli.run(main)
