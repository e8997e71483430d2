"""README.md's "Convolutional networks and any images" against its committed runs (docs/conv/):
the table is generated from their JSON, the claims it makes hold in that JSON, and the rerun of
an older README result reproduces it."""

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = os.path.join(ROOT, "docs", "conv")


def _readme() -> str:
  with open(os.path.join(ROOT, "README.md")) as f:
    return f.read()


def _eval(name: str) -> dict:
  with open(os.path.join(RUNS, name, "eval.json")) as f:
    return json.load(f)


def test_readme_shows_the_report_of_docs_conv():
  from experiments import report
  table = report.markdown(report.read_runs(RUNS))
  assert table in _readme(), "regenerate it: python -m experiments.report --root=docs/conv"
  for figure in re.findall(r'src="(docs/figures/[^"]+)"', _readme()):
    assert os.path.getsize(os.path.join(ROOT, figure)) > 10_000, figure


def test_the_conv_vae_beats_the_mlp_vae_at_k_1000_after_the_same_epochs():
  conv, mlp = _eval("conv_vae_mnist"), _eval("mlp_vae_mnist")
  assert conv["num_importance_samples"] == mlp["num_importance_samples"] == 1000
  assert conv["epoch"] == mlp["epoch"] == 10 and conv["dataset"] == mlp["dataset"] == "mnist"
  assert conv["test_nll_is"] < mlp["test_nll_is"]
  folder = _eval("folder_vae")
  assert folder["image_shape"] == [32, 32, 3] and 0 < folder["test_nll_is_bits_per_dim"] < 8


def test_the_rerun_of_ae_latent32_reproduces_the_readme_within_0_005_knn():
  lines = [l for l in _readme().splitlines() if l.startswith("| run | model | latent |")]
  header = [c.strip() for c in lines[0].strip("|").split("|")]
  row = next(l for l in _readme().splitlines() if l.startswith("| ae_latent32 |"))
  cells = [c.strip() for c in row.strip("|").split("|")]
  rerun = _eval("repro_ae_latent32")
  for column, key in (("kNN k=1", "knn_accuracy_k1"), ("kNN k=5", "knn_accuracy_k5"),
                      ("linear probe", "linear_probe_accuracy")):
    assert abs(float(cells[header.index(column)]) - rerun[key]) <= 0.005, column
