"""The install: requirements.lock pins every dependency pyproject.toml asks for, at a version its
range allows, and what is installed here is what the lock says; the tfds download path of the
installed environment reaches the network layer (and fails there, not on an import)."""

import importlib.metadata
import os
import re
import sys
import tempfile
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
import pytest

from tests.conftest import ROOT


def _lock() -> dict:
  pins = {}
  with open(os.path.join(ROOT, "requirements.lock")) as f:
    for line in f:
      line = line.split("#")[0].strip()
      if line:
        requirement = Requirement(line)
        (spec,) = requirement.specifier   # exactly one ==
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = (spec.version, requirement.marker)
  return pins


def _asked() -> list:
  with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
    project = tomllib.load(f)["project"]
  asked = project["dependencies"] + project["optional-dependencies"]["test"]
  return [Requirement(r) for r in asked]


def test_the_lock_pins_what_pyproject_asks_for():
  pins, env = _lock(), default_environment()
  asked = [r for r in _asked() if r.marker is None or r.marker.evaluate(env)]
  assert len(asked) >= 15
  for requirement in asked:
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} is not in requirements.lock; run make lock"
    version, _ = pins[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"requirements.lock pins {name}=={version}, outside pyproject.toml's {requirement}")
  assert canonicalize_name("importlib_resources") in pins   # tfds's download path needs it


def test_the_lock_is_what_is_installed():
  """make setup installed the lock: every pin that applies here is the installed version."""
  env = default_environment()
  for name, (version, marker) in _lock().items():
    if marker is not None and not marker.evaluate(env):
      continue
    assert importlib.metadata.version(name) == version, (
        f"{name} {importlib.metadata.version(name)} is installed, the lock says {version}; run "
        "make setup again (rm .venv/.installed)")


def test_the_lock_rejects_a_version_outside_the_range():   # the check above can fail
  assert not Requirement("jax>=0.4.30").specifier.contains("0.4.1")


def test_tfds_download_reaches_the_network(monkeypatch):
  """The real download path of a tfds builder, in this environment, gets as far as an HTTP
  request (made to fail here at requests' transport adapter, the network layer); the error is the
  sentence that names the offline fixes."""
  import requests.adapters
  from ae import data
  urls = []

  def no_network(self, request, **kwargs):
    urls.append(request.url)
    raise requests.exceptions.ConnectionError("Failed to establish a new connection (test)")

  monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
  with tempfile.TemporaryDirectory() as tfds_dir:
    with pytest.raises(data.DataError) as raised:
      data.load_tfds("mnist", "test", tfds_dir)
  assert urls and all(re.match(r"https://\S+mnist", u) for u in urls), urls
  said = raised.value.worded("--config.data.data_dir")
  assert said == ("mnist/test is not available offline and tfds could not download it (no "
                  "network: Failed to establish a new connection (test)); set "
                  "--config.data.data_dir (or AE_DATA_DIR) to a directory of IDX files."), said
  assert "importlib_resources" not in said and sys.modules.get("importlib_resources")
