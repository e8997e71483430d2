"""The manifold chapter's pieces against closed forms: principal angles of constructed
subspaces, PCA against numpy's eigendecomposition, the linear AE finding the PCA subspace, the
Parzen estimator against a known Gaussian, neighbour agreement against brute force."""

import numpy as np
import pytest
from scipy import stats

from ae.distributions import parzen
from ae.evaluation import manifold


def test_principal_angles_of_constructed_subspaces():
  a, b = np.radians(20.0), np.radians(65.0)
  e = np.eye(4)
  u = np.stack([e[0], e[1]], 1)
  v = np.stack([np.cos(a) * e[0] + np.sin(a) * e[2], np.cos(b) * e[1] + np.sin(b) * e[3]], 1)
  np.testing.assert_allclose(manifold.principal_angles(u, v), [20.0, 65.0], atol=1e-9)
  mix = np.array([[2.0, 1.0], [0.5, -3.0]])          # another basis of the same subspace
  np.testing.assert_allclose(manifold.principal_angles(u @ mix, v), [20.0, 65.0], atol=1e-9)
  np.testing.assert_allclose(manifold.principal_angles(u, u @ mix), [0.0, 0.0], atol=1e-6)


def test_pca_against_numpy_eigendecomposition():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 3.0
  mean, components, variances = manifold.pca(x, 3)
  cov = np.cov(x.T, bias=True)
  values, vectors = np.linalg.eigh(cov)
  np.testing.assert_allclose(variances, values[::-1][:3], rtol=1e-4)
  np.testing.assert_allclose(mean, x.mean(0), rtol=1e-5)
  angles = manifold.principal_angles(np.asarray(components).T, vectors[:, ::-1][:, :3])
  assert angles.max() < 0.01


def test_linear_autoencoder_spans_the_principal_subspace():
  rng = np.random.default_rng(1)
  scales = np.array([5.0, 4.0, 3.0, 0.5, 0.4, 0.3, 0.2, 0.1])
  basis, _ = np.linalg.qr(rng.normal(size=(20, 8)))
  x = (rng.normal(size=(500, 8)) * scales) @ basis.T
  x -= x.mean(0)
  w, v, losses = manifold.train_linear_autoencoder(x, 3, steps=4000)
  _, components, _ = manifold.pca(x, 3)
  angles = manifold.principal_angles(np.asarray(v).T, np.asarray(components).T)
  assert angles.max() < 1.0, angles   # The decoder's span; W is free off the data's span.
  pca_error = manifold.reconstruction_error(x, components.T, components)
  assert manifold.reconstruction_error(x, w, v) == pytest.approx(pca_error, rel=1e-3)
  assert float(losses[-1]) < float(losses[0])


def test_parzen_against_a_known_gaussian():
  rng = np.random.default_rng(2)
  centre = rng.normal(size=(1, 3))
  x = rng.normal(size=(5, 3))
  np.testing.assert_allclose(parzen.log_density(x, centre, 0.7),
                             stats.multivariate_normal(centre[0], 0.49 * np.eye(3)).logpdf(x),
                             rtol=1e-5)
  truth = stats.multivariate_normal(np.zeros(2), np.diag([1.0, 0.25]))
  test = truth.rvs(2000, random_state=3)
  sigmas = np.geomspace(0.02, 1.0, 25)
  errors = []
  for n in (100, 1000, 10000):
    centres, validation = truth.rvs(n, random_state=4), truth.rvs(1000, random_state=5)
    sigma, curve = parzen.select_bandwidth(centres, validation, sigmas)
    assert curve.argmax() not in (0, len(sigmas) - 1)      # an interior optimum
    errors.append(abs(parzen.log_density(test, centres, sigma).mean() - truth.logpdf(test).mean()))
  assert errors[0] > errors[1] > errors[2] and errors[2] < 0.05, errors


def test_knn_label_agreement_against_brute_force():
  rng = np.random.default_rng(6)
  points, labels = rng.normal(size=(60, 2)), rng.integers(0, 3, 60)
  got = manifold.knn_label_agreement(points, labels, k=4)
  d = ((points[:, None] - points[None]) ** 2).sum(-1)
  np.fill_diagonal(d, np.inf)
  nn = np.argsort(d, 1)[:, :4]
  assert got["agreement"] == pytest.approx((labels[nn] == labels[:, None]).mean())
  votes = np.stack([np.bincount(labels[r], minlength=3) for r in nn]).argmax(1)
  assert got["knn_accuracy"] == pytest.approx((votes == labels).mean())


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory, tiny_data_dir):
  """A 2-D AE and a 2-D VAE trained for 2 epochs on the tiny data, as experiments.train leaves
  them (config.json and checkpoints)."""
  from ae import io
  from ae.training import config as config_lib, loop
  root = tmp_path_factory.mktemp("runs")
  for name in ("ae", "vae"):
    config = config_lib.make(name, **{
        "data.data_dir": tiny_data_dir, "model.hidden": (32,), "model.latent_dim": 2,
        "train.epochs": 2, "train.batch_size": 32, "train.learning_rate": 3e-3})
    loop.train_and_evaluate(config, str(root / name))
    io.write_json(str(root / name / "config.json"), config_lib.to_dict(config))
  return root


def test_manifold_binary_end_to_end(tmp_path, tiny_data_dir, tiny_runs):
  import json
  from tests.conftest import run_binary
  args = (f"--data_dir={tiny_data_dir}", f"--ae_workdir={tiny_runs / 'ae'}",
          f"--vae2_workdir={tiny_runs / 'vae'}")
  result = run_binary("manifold", f"--workdir={tmp_path}", *args, "--linear_steps=300",
                      "--latent_sizes=2,4", "--parzen_samples=300",
                      "--num_importance_samples=5", "--linear_examples=128",
                      "--embed_examples=128", "--nll_examples=128")
  assert result.returncode == 0, result.stderr[-3000:]
  m = json.loads((tmp_path / "metrics.json").read_text())
  assert set(m["linear_ae_max_principal_angle_deg"]) == {"2", "4"}
  assert all(0 <= a <= 90 for a in m["linear_ae_max_principal_angle_deg"].values())
  assert m["linear_ae"]["2"]["pca_error"] <= m["linear_ae"]["2"]["linear_ae_error"] + 1e-3
  for k in ("2", "4"):   # the default optimizer reaches the closed-form optimum, and says so
    assert m["linear_ae"][k]["converged"] is True and m["linear_ae"][k]["optimizer"] == "als"
    assert m["linear_ae"][k]["max_principal_angle_deg"] <= 1.0
    assert m["linear_ae"][k]["loss_gap_to_optimum"] <= 1e-6
  assert "converged" in result.stdout and "did not converge" not in result.stdout
  assert isinstance(m["parzen"]["converged"], bool)
  table = m["embeddings"]
  assert list(table) == ["pca", "isomap", "lle", "tsne", "ae (2-D code)", "vae (2-D code)"]
  assert [table[k]["embeds_new_images"] for k in table] == [True, True, True, False, True, True]
  assert all(0 <= v["knn_accuracy_k5"] <= 1 and 0 <= v["trustworthiness_k5"] <= 1
             for v in table.values())
  assert m["nll"]["uniform noise"]["mean"] > 1.5 * m["nll"]["test images"]["mean"]
  assert m["parzen"]["sigma"] in m["parzen"]["bandwidths"]
  assert 0 <= m["distance_label_agreement"]["pixel"]["agreement"] <= 1
  for name in ("linear_ae", "embeddings", "neighbours", "nll", "parzen"):
    assert (tmp_path / f"{name}.png").stat().st_size > 5000, name
  bad = run_binary("manifold", f"--workdir={tmp_path / 'bad'}", *args, "--latent_sizes=0")
  assert bad.returncode == 2 and "--latent_sizes: must be integers from 1 to 783" in bad.stderr
  missing = run_binary("manifold", f"--workdir={tmp_path / 'bad'}", f"--data_dir={tiny_data_dir}",
                       f"--ae_workdir={tmp_path}", f"--vae2_workdir={tiny_runs / 'vae'}")
  assert missing.returncode == 2 and "--ae_workdir: " in missing.stderr
  assert "holds no finished training run" in missing.stderr and "Traceback" not in missing.stderr


def test_alternating_least_squares_reaches_the_pca_optimum():
  """Against numpy's SVD: the span, the optimum 1/2 sum_{i>k} lambda_i (Eckart-Young) and a
  run stopped early that has not reached it."""
  rng = np.random.default_rng(0)
  scales = np.concatenate([[5.0, 4.0, 3.0], np.linspace(1.0, 0.9, 17)])   # a gap after 3
  x = rng.standard_normal((400, 20)) * scales
  x = x - x.mean(0)
  _, s, vt = np.linalg.svd(x, full_matrices=False)
  optimum = manifold.linear_ae_optimum(x, 3)
  assert optimum == pytest.approx(0.5 * np.sum(s[3:] ** 2) / 400, rel=1e-12)
  eig = np.sort(np.linalg.eigvalsh(x.T @ x / 400))[::-1]
  assert optimum == pytest.approx(0.5 * eig[3:].sum(), rel=1e-10)
  w, v, losses, steps = manifold.train_linear_autoencoder_als(x, 3, max_steps=500, tol=1e-12)
  assert steps < 500 and losses[-1] - optimum <= 1e-12 * optimum
  assert manifold.principal_angles(v.T, vt[:3].T).max() < 1e-3
  loss = 0.5 * np.mean(np.sum((x - x @ w @ v) ** 2, 1))
  assert loss == pytest.approx(optimum, rel=1e-10)
  _, _, early, steps = manifold.train_linear_autoencoder_als(
      x, 10, max_steps=2, tol=1e-12)   # lambda_11 / lambda_10 is close to 1: two steps are few
  assert steps == 2 and early[-1] > manifold.linear_ae_optimum(x, 10) * (1 + 1e-6)
