"""The table of bad inputs: each row a command a user might type (or a fault the machine might
throw at a run) and the one sentence it must end in. `tests/bad_input_runner.py` prepares and
starts a row, `tests/test_bad_inputs.py` runs every row; README.md shows the table, and a test
keeps the two equal:

  python -m tests.bad_inputs    prints the README table

Placeholders: {tmp} a fresh directory of the row's own, {data} a small IDX dataset, {run} a copy
of a finished 1-epoch training run on it (in {tmp}/run), {n} any word (the epoch a signal
happens to land in), {reason} the system's words for a refused write.
"""
from tests import bad_inputs_binaries, bad_inputs_faults, bad_inputs_training
from tests.bad_input_row import TRAIN

ROWS = bad_inputs_training.ROWS + bad_inputs_binaries.ROWS + bad_inputs_faults.ROWS


def markdown() -> str:
  """The README table; train rows leave out the TRAIN flags they all share."""
  cell = lambda text: text.replace("|", "\\|")
  lines = ["| binary | bad input | exit | what it says |", "|---|---|---|---|"]
  for row in ROWS:
    shared = TRAIN if row.binary == "train" else ()
    flags = " ".join(a for a in row.args if a not in shared)
    what = f"{row.what}: `{cell(flags)}`" if flags else row.what
    lines.append(f"| {row.binary} | {what} | {row.code} | `{cell(row.expect)}` |")
  return "\n".join(lines)


if __name__ == "__main__":
  print(markdown())
