# Two entry points, each doing its own set-up on a fresh machine:
#   make demo   the main job: every experiment binary, outputs under $(WORKDIR)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
WORKDIR ?= runs/demo
FASHION_DEBIAN := /usr/share/datasets/fashion-mnist
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test setup data clean

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Fashion-MNIST offline from Debian when we can install packages; otherwise tfds downloads it.
data:
	@if [ ! -d $(FASHION_DEBIAN) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq dataset-fashion-mnist || \
	   (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)) >/dev/null; fi

demo: setup data
	$(VENV)/bin/python -m experiments.demo --workdir=$(WORKDIR)

test: setup
	$(VENV)/bin/python -m pytest -q -n auto --dist loadfile

clean:
	rm -rf runs .pytest_cache
