"""The tables of `experiments.reproduce`, from its JSON: papers.md and README.md's section
"Against the papers" (no flags here, so tests and other tools import it freely)."""

import os

from ae import io


def markdown(rows: dict) -> str:
  def num(v, std=None):
    if v is None:
      return "(figure)"
    return f"{v:.2f}" + (f" ± {std:.2f}" if std is not None else "")
  lines = ["| row | paper | ours | ours − paper | unit | seeds | epochs run / protocol | "
           "seconds |", "|---|---|---|---|---|---|---|---|"]
  for name, r in rows.items():
    diff = "" if r["paper"] is None else f"{r['ours'] - r['paper']:+.2f}"
    lines.append(f"| {name} | {num(r['paper'], r['paper_std'])} | "
                 f"{num(r['ours'], r['ours_std'])} | {diff} | {r['unit']} | {r['seeds']} | "
                 f"{r['epochs_run']} / {r['epochs_protocol']} | {r['seconds']:.0f} |")
  commands = list(dict.fromkeys(r["command"] for r in rows.values()))
  lines += ["", "The commands (each resumes, and reuses what is finished):", ""]
  lines += [f"    {c}" for c in commands]
  return "\n".join(lines) + "\n"


def readme(path: str) -> str:
  from experiments.protocols import burda_2015
  rows = io.read_json(path)
  stages = os.path.join(os.path.dirname(path), "iwae_stages.json")
  text = markdown(rows)
  if os.path.exists(stages):
    text += "\n" + burda_2015.stages_markdown(io.read_json(stages))
  return text
