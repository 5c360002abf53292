"""tests/conftest.py: every test run ends with one line on what was skipped and why."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

SKIPPING = """
import pytest

@pytest.fixture(scope="module")
def sshd():
    pytest.skip("SSH ships: no /usr/sbin/sshd")

def test_passes():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_over_ssh(sshd, n):
    pass

@pytest.mark.skipif(True, reason="registries: no docker-registry")
def test_pull():
    pass

@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert False
"""


def last_line(folder, *args):
    # A plain pytest: not the plugins ansible-test units loads (they refuse a conftest.py
    # outside the collection).
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTEST_PLUGINS", "PYTHONPATH")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environ,
    )
    assert run.stdout, run.stderr
    return run.stdout.splitlines()[-1]


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_last_line_counts_the_skips_per_reason(tmp_path, args):
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_some.py").write_text(SKIPPING)
    assert (
        last_line(tmp_path, *args) == "skipped 3: 2 x SSH ships: no /usr/sbin/sshd; 1 x registries: no docker-registry"
    )


def test_a_full_run_says_nothing_was_skipped(tmp_path):
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_some.py").write_text("def test_passes():\n    pass\n")
    assert last_line(tmp_path) == "skipped: nothing"
