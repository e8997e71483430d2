"""The lecture companion end to end: `experiments.lecture --scale=tiny` runs every step on the
tiny generated data and builds the site; a second call reuses every run; then every page in
headless Chromium: every image loaded, no broken link, the math rendered, a quiet console,
nothing fetched from the network, and each number equal to the runs' JSON (read here, on its
own). Skipped only when no browser can be driven (`.ci/run` installs one)."""

import json
import os

import pytest

from experiments.companion import browser
from tests.conftest import run_binary

PAGES = ("index", "part1", "part2", "part3", "part4", "part5")
pytestmark = pytest.mark.skipif(browser.missing() is not None,
                                reason=f"no browser to drive: {browser.missing()}")


@pytest.fixture(scope="module")
def lecture(tmp_path_factory, tiny_data_dir):
  workdir = tmp_path_factory.mktemp("lecture")
  args = (f"--workdir={workdir}", "--scale=tiny", "--jobs=1",   # the other test files use the cores
          f"--fashion_mnist_dir={os.path.join(tiny_data_dir, 'fashion_mnist')}",
          f"--mnist_dir={os.path.join(tiny_data_dir, 'mnist')}")
  first = run_binary("lecture", *args)
  assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
  again = run_binary("lecture", *args, "--screenshots")
  assert again.returncode == 0, again.stderr[-3000:]
  rows = [l.split() for l in again.stdout.splitlines() if l.strip().endswith("0.0000")]
  assert rows and all(r[1] == "reused" for r in rows)
  assert " ran " not in again.stdout
  return workdir


def _value(root, file, key):
  with open(os.path.join(root, file)) as f:
    value = json.load(f)
  if file.endswith("papers.json"):   # its rows' names hold a "/" (flax_vae/epoch1)
    row, column = key.rsplit("/", 1)
    return value[row][column]
  for part in key.split("/"):
    value = value[int(part)] if isinstance(value, list) else value[part]
  return value


def test_every_page_in_a_browser(lecture):
  site, root = lecture / "site", lecture / "runs-tiny"
  driver = browser.open_browser()
  try:
    reports = {p: browser.inspect(driver, str(site / f"{p}.html")) for p in PAGES}
  finally:
    driver.quit()
  checked = papers = 0
  for page, r in reports.items():
    assert r["images"] or page == "index", page
    for src, complete, width in r["images"]:
      assert complete and width > 0, f"{page}: {src} did not load"
    assert r["missing_figures"] == 0, page
    for href in r["links"]:
      target, _, anchor = href.partition("#")
      assert not target.startswith(("http:", "https:", "//")), f"{page} links out: {href}"
      if target:
        assert (site / target).exists(), f"{page}: broken link {href}"
      if anchor:
        linked = reports[target[:-5]]["ids"] if target else r["ids"]
        assert anchor in linked, f"{page}: no #{anchor}"
    if page != "index":
      assert r["math"] and all(w > 20 and h > 5 for w, h in r["math"]), page
      assert r["merrors"] == 0, page
    assert not r["console"], f"{page}: {r['console']}"
    assert all(name.startswith("file://") for name in r["resources"]), r["resources"]
    for file, key, text, missing in r["numbers"]:
      assert not missing, f"{page}: {file} {key} not found"
      want = _value(root, file, key)
      papers += file == "papers/papers.json"
      if want is None:   # JSON null (a paper without a +-): a dash, not a number
        assert text == "\u2014", (page, file, key, text)
      elif isinstance(want, str):
        assert text == want, (page, file, key, text)
      elif isinstance(want, bool):
        assert text == ("yes" if want else "no")
      else:
        assert float(text) == pytest.approx(want, rel=1e-3, abs=1e-12), (page, file, key)
      checked += 1
  assert checked >= 60
  assert papers == 8   # flax_vae/epoch1 after its one epoch: 8 columns of reproduce's row
  for page in PAGES:   # The second call's screenshots, one per page.
    assert (lecture / "screenshots" / f"{page}.png").stat().st_size > 20000, page


def test_the_imputation_step_scored_every_method(lecture):
  with open(lecture / "runs-tiny" / "imputation" / "imputation.json") as f:
    got = json.load(f)
  assert got["test_examples"] == 128 and set(got["tasks"]) == {
      "bottom_half", "random", "gaussian_noise_0.3"}
  assert set(got["tasks"]["bottom_half"]) == {
      "mean image", "1-NN", "10-NN", "vae chain", "cvae chain (label)", "dae",
      "vae p(x_m given x_o)", "cvae p(x_m given x_o) (label)"}
  assert set(got["tasks"]["gaussian_noise_0.3"]) == {"noisy input", "mean image", "vae", "dae"}
  for task in got["tasks"].values():
    for score in task.values():
      assert score["nll"] > 0 and score["squared_error"] >= 0
  assert (lecture / "runs-tiny" / "imputation" / "imputation.png").stat().st_size > 5000


def test_the_pages_say_where_each_figure_came_from(lecture):
  part5 = (lecture / "site" / "part5.html").read_text()
  assert "python -m experiments.imputation --workdir=" in part5
  assert "python -m experiments.train --workdir=" in part5 and "vaegan.py" in part5
  assert (lecture / "site" / "figures" / "imputation" / "imputation.png").exists()
  assert "<script" not in part5 and "http" not in part5.replace("http://www.w3.org", "")
