# Two entry points, each doing its own set-up on a fresh machine:
#   make demo   the main job: every experiment binary, outputs under $(WORKDIR)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
WORKDIR ?= runs/demo
# The exact versions the README's numbers were measured with; LOCK= installs from pyproject.toml's
# ranges instead (other platforms, newer releases).
LOCK ?= requirements.lock
FASHION_DEBIAN := /usr/share/datasets/fashion-mnist
export TF_CPP_MIN_LOG_LEVEL ?= 2

# The lecture companion: SCALE=quick (about 10 minutes on 2 cores) or full; MNIST from
# ../shared/data/mnist when it is there, otherwise tfds downloads it.
LECTURE_WORKDIR ?= runs/lecture
SCALE ?= quick
MNIST_DIR ?= $(wildcard ../shared/data/mnist)

.PHONY: demo test setup data clean lock lecture

$(VENV)/.installed: pyproject.toml $(LOCK)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	if [ -n "$(LOCK)" ]; then \
	  $(VENV)/bin/pip install -q -r $(LOCK) && $(VENV)/bin/pip install -q --no-deps -e . ; \
	else $(VENV)/bin/pip install -q -e '.[test]'; fi
	touch $@

setup: $(VENV)/.installed

# Fashion-MNIST offline from Debian when we can install packages; otherwise tfds downloads it.
data:
	@if [ ! -d $(FASHION_DEBIAN) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq dataset-fashion-mnist || \
	   (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)) >/dev/null; fi

demo: setup data
	$(VENV)/bin/python -m experiments.demo --workdir=$(WORKDIR)

lecture: setup data
	$(VENV)/bin/python -m experiments.lecture --workdir=$(LECTURE_WORKDIR) --scale=$(SCALE) \
	  $(if $(MNIST_DIR),--mnist_dir=$(MNIST_DIR)) $(if $(wildcard /usr/bin/chromedriver),--screenshots)

test: setup
	$(VENV)/bin/python -m pytest -q -n auto --dist loadfile

# A new lock: a fresh venv from pyproject.toml's ranges, frozen (then run make test on it).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q --upgrade pip && .venv-lock/bin/pip install -q -e '.[test]'
	(sed -n '1,3p' requirements.lock; .venv-lock/bin/pip freeze --exclude-editable | \
	  sed "s/^tensorflow_cpu==\(.*\)/tensorflow_cpu==\1; platform_machine == 'x86_64'/") \
	  > requirements.lock.new && mv requirements.lock.new requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf runs .pytest_cache
