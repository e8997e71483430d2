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
  lines = _readme().splitlines()
  at = next(i for i, l in enumerate(lines) if l.startswith("| ae_latent32 |"))
  above = next(l for l in reversed(lines[:at]) if l.startswith("| run | model | latent |"))
  header = [c.strip() for c in above.strip("|").split("|")]
  row = lines[at]
  cells = [c.strip() for c in row.strip("|").split("|")]
  rerun = _eval("repro_ae_latent32")
  for column, key in (("kNN k=1", "knn_accuracy_k1"), ("kNN k=5", "knn_accuracy_k5"),
                      ("linear probe", "linear_probe_accuracy")):
    assert abs(float(cells[header.index(column)]) - rerun[key]) <= 0.005, column


PART5 = os.path.join(ROOT, "docs", "part5")


def _part5(*path):
  with open(os.path.join(PART5, *path)) as f:
    return json.load(f) if path[-1].endswith(".json") else [json.loads(l) for l in f]


def test_readme_shows_part5_tables_generated_from_docs_part5():
  from ae.evaluation import imputation
  from experiments import report
  readme = _readme()
  assert report.markdown(report.read_runs(PART5)) in readme, (
      "regenerate it: python -m experiments.report --root=docs/part5")
  assert imputation.markdown_table(_part5("imputation", "imputation.json")) in readme


def test_part5_claims_hold_in_its_json():
  """What README.md's part-5 section says, checked against the committed runs."""
  vae, gan = _part5("mnist_vae", "eval.json"), _part5("mnist_vaegan", "eval.json")
  assert vae["num_importance_samples"] == gan["num_importance_samples"] == 1000
  assert gan["test_nll_is"] - vae["test_nll_is"] > 4          # "gives up 5 nats"
  assert gan["frechet_classifier_distance"] > vae["frechet_classifier_distance"]
  assert gan["test_reconstruction_nll"] < vae["test_reconstruction_nll"]
  curve = _part5("mnist_vaegan", "metrics.jsonl")
  assert len(curve) == 20
  assert all(0.62 <= r["test_disc_loss"] <= 0.84 for r in curve)   # neither 0 nor diverging
  assert all(0.10 <= r["train_disc_updates"] <= 0.24 for r in curve)
  tasks = _part5("imputation", "imputation.json")["tasks"]
  half, rand = tasks["bottom_half"], tasks["random"]
  vae_nll = half["vae p(x_m given x_o)"]["nll"]
  assert vae_nll < half["mean image"]["nll"] and vae_nll < half["1-NN"]["nll"]
  assert half["10-NN"]["nll"] < vae_nll                            # said, not hidden
  assert half["cvae p(x_m given x_o) (label)"]["nll"] < half["10-NN"]["nll"]
  assert half["vae chain"]["nll"] > half["mean image"]["nll"]
  assert all(rand["vae p(x_m given x_o)"]["nll"] < rand[b]["nll"]
             for b in ("mean image", "1-NN", "10-NN"))
  first300 = _part5("imputation_first300_2000", "imputation.json")
  assert first300["test_examples"] == 300
  half300 = first300["tasks"]["bottom_half"]
  assert half300["vae p(x_m given x_o)"]["nll"] < half300["10-NN"]["nll"]
  noise = tasks["gaussian_noise_0.3"]
  assert noise["vae"]["nll"] < noise["noisy input"]["nll"] < noise["dae"]["nll"]
