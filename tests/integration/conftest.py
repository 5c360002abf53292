"""Fixtures for the integration tests: a real multi-ship Docker lab (files/lab/lab.sh).

    def test_something(clean_lab):          # no containers on any ship at test start
        api = clean_lab.client(2)           # docker.APIClient for ship2
        ip = clean_lab.ships[1]["ip"]       # '10.250.0.3'

    def test_other(lab):                    # the same lab, containers left as they are
        ...

`sshd` (module scope) runs an sshd in the second ship's netns (tests/integration/helpers/sshd.py)
for the tests of ships reached over SSH.

`lab` (session scope) brings 3 ships up once per session (fast when already up), removes
their containers, and yields a tests/integration/helpers/lab.py `Lab`. The lab is left up at the
end so reruns are fast; MAESTRO_LAB_DOWN=1 tears it down (without pytest-xdist).
Under pytest-xdist each worker gets its own 3 ships (gw0: ship1-3, gw1: ship4-6, ...),
so resets in one worker never hit another worker's containers; MAESTRO_LAB_SLOT=S moves
them all up by 60 ships per slot (lab.worker_index).

Without root or without docker/dockerd the tests are skipped, unless
MAESTRO_REQUIRE_LAB=1 (CI), which turns that into a failure.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers.lab import missing_prerequisites, ready, unavailable, worker_index  # noqa: E402
from helpers.sshd import Sshd  # noqa: E402
from helpers.sshd import missing_prerequisites as sshd_missing  # noqa: E402

SHIPS_PER_WORKER = 3


def pytest_configure(config):
    config.addinivalue_line("markers", "many_ships: the 12-ship test (test_many_ships.py), alone: pytest -m many_ships")


def _require_lab():
    reason = missing_prerequisites()
    if reason is not None:
        unavailable("the Docker lab: " + reason)


@pytest.fixture(scope="session")
def lab():
    """The multi-ship lab: `lab.ships` (3 dicts: name, ip, url, socket, number),
    `lab.client(k)`, `lab.reset()`, `lab.stop_ship(k)`, `lab.start_ship(k)`."""
    _require_lab()
    the_lab = ready(1 + SHIPS_PER_WORKER * worker_index(), SHIPS_PER_WORKER)
    yield the_lab
    if os.environ.get("MAESTRO_LAB_DOWN") == "1" and not os.environ.get("PYTEST_XDIST_WORKER"):
        the_lab.down()


@pytest.fixture
def clean_lab(lab):
    """The lab with no containers on any of its ships (and every ship's API up)."""
    lab.reset()
    return lab


@pytest.fixture(scope="module")
def sshd(lab):
    """An sshd (and a loopback relay to the daemon) in the netns of the lab's second ship
    (tests/integration/helpers/sshd.py), for the tests of ships reached over SSH."""
    reason = sshd_missing()
    if reason:
        unavailable("SSH ships: " + reason)
    server = Sshd(lab.ships[1]).start()
    server.loopback_docker()
    yield server
    server.stop()
