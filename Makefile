# The project's contract with its users and CI: `make demo`, `make test`, `make test-matrix`, `make venv`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: demo test test-matrix unit integration prereqs-demo prereqs-test prereqs-unit venv venv-works bench bench-model changelog changelog-release clean-lab clean

# Each entry point first runs tests/lab/prereqs.sh for what it needs (as root: installs the
# missing packages, starts the main dockerd, builds the test images; otherwise: one block on
# what is missing and what that skips), then makes the venv (a fresh machine may lack
# python3-venv, hence this order: make builds prerequisites left to right).
# The demo environment started and its status: as root on a 3-ship local lab, as a normal
# user on your own Docker daemon.
demo: prereqs-demo venv
	bash examples/demo.sh

# Two test processes (pytest-xdist), a test file each at a time: each has its own lab ships
# (tests/integration/conftest.py) and the files with fixed ships or ports stay in one process.
PYTEST_JOBS ?= -n 2 --dist loadfile

test: prereqs-test venv
	$(BIN)/pytest $(PYTEST_JOBS) tests

# The newer ansible-core releases, each on its own Python and venv (2.20 on 3.12, 2.21 on 3.13): unit
# tests, ansible-test sanity and a smoke test on lab ships 30-35 (tests/matrix/run.sh; `CELLS=2.21` for one).
test-matrix: prereqs-test
	bash tests/matrix/run.sh $(CELLS)

unit: prereqs-unit venv
	$(BIN)/pytest tests/unit

integration: prereqs-test venv
	$(BIN)/pytest $(PYTEST_JOBS) tests/integration

prereqs-demo prereqs-test prereqs-unit:
	@bash tests/lab/prereqs.sh $(@:prereqs-%=%)

venv: venv-works $(VENV)/.installed

# A venv that exists but does not work here (e.g. copied from another machine: its interpreter
# symlink and script shebangs point elsewhere) is removed, so the rule below builds it again.
venv-works:
	@if [ -e $(VENV) ] && ! { $(BIN)/python -c 'import ansible, docker, pytest, yaml' && $(BIN)/pytest --version; } >/dev/null 2>&1; then \
		echo "$(VENV) does not work here; rebuilding it"; rm -rf $(VENV); fi

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Speed against a plain Docker-SDK floor on lab ships 7-9 and 41-52 (bench/README.md); the 40-ship
# environment (ships 205-244) only with .venv/bin/python bench/bench.py --only xxl.
bench: venv
	$(BIN)/python bench/bench.py

bench-model: venv
	$(BIN)/python bench/model.py

# CHANGELOG.md from changelogs/changelog.yaml, after checking the fragments (antsibull-changelog).
changelog: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog generate

# `make changelog-release VERSION=0.2.0`: the fragments not yet in a release become release VERSION of
# changelogs/changelog.yaml (new modules and plugins found with ansible-doc) and CHANGELOG.md is
# regenerated; antsibull-changelog then deletes those fragments.
changelog-release: venv
	@test -n "$(VERSION)" || { echo "usage: make changelog-release VERSION=x.y.z" >&2; exit 2; }
	$(BIN)/antsibull-changelog lint
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/antsibull-changelog release --version $(VERSION)

clean-lab:
	bash files/lab/lab.sh down

clean:
	rm -rf $(VENV) .pytest_cache
