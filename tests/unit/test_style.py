"""The house style (pyproject.toml [tool.ruff]): `ruff format` leaves every Python file as it is
and `ruff check` finds nothing, over plugins, maestro_cli, bench and tests."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ["plugins", "maestro_cli", "bench", "tests"]
RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")

pytestmark = pytest.mark.skipif(
    os.environ.get("MAESTRO_MATRIX") == "1" and not os.path.exists(RUFF),
    reason="make test-matrix: the style does not depend on ansible-core; make test checks it",
)


def ruff(*args):
    return subprocess.run(
        [RUFF, *args, *FOLDERS],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )


def test_ruff_format_leaves_every_file_as_it_is():
    proc = ruff("format", "--check", "--diff")
    assert proc.returncode == 0, "run `.venv/bin/ruff format %s`:\n%s" % (" ".join(FOLDERS), proc.stdout[-5000:])


def test_ruff_check_finds_nothing():
    proc = ruff("check", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout[-5000:]
