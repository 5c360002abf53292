"""Each named port's state from the controller (run/ports.py), against real listeners on loopback."""

import socket
import time

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model.environment import build
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext
from ansible_collections.maestro.ng.plugins.module_utils.run.ports import port_states


def _listen(port):
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen(8)
    return server


@pytest.fixture
def listening():
    """Two neighbouring ports that accept and keep connections, and the port after them, which nothing
    listens on."""
    for _attempt in range(20):
        first = _listen(0)
        port = first.getsockname()[1]
        try:
            servers = [first, _listen(port + 1)]
            probe = socket.socket()
            probe.bind(("127.0.0.1", port + 2))  # free now; closed again before the test
            probe.close()
        except OSError:
            first.close()
            continue
        yield port
        for server in servers:
            server.close()
        return
    pytest.fail("no three free neighbouring ports on loopback")


def environment(ports, ship="127.0.0.1", docker_url=None):
    ship_doc = {"ip": ship}
    if docker_url:
        ship_doc["docker_url"] = docker_url
    doc = {
        "name": "ports",
        "ships": {"here": ship_doc},
        "services": {"web": {"image": "web:1", "instances": {"web-1": {"ship": "here", "ports": ports}}}},
    }
    return build(doc, FileContext("ports.yaml", "/tmp"))


def test_up_down_udp_and_ranges(listening):
    port = listening
    env = environment(
        {
            "a": "%d:%d" % (port, port),
            "b": "%d:%d" % (port + 2, port + 2),
            "c": "%d:%d/udp" % (port, port),
            "d": {"exposed": 80, "external": ["127.0.0.1", port + 1]},
        }
    )
    started = time.monotonic()
    assert port_states(env, ["web-1"]) == {"web-1": {"a": "up", "b": "down", "c": "udp, not checked", "d": "up"}}
    assert time.monotonic() - started < 3  # all at once, each bounded
    both = environment({"r": {"exposed": "81-82", "external": "%d-%d" % (port, port + 1)}})
    assert port_states(both, ["web-1"]) == {"web-1": {"r": "up"}}
    half = environment({"r": {"exposed": "83-84", "external": ["0.0.0.0", "%d-%d" % (port + 1, port + 2)]}})
    assert port_states(half, ["web-1"]) == {"web-1": {"r": "1/2 up"}}


def test_a_remote_ships_loopback_is_not_tried():
    env = environment({"admin": {"exposed": 80, "external": ["127.0.0.1", 9999]}}, ship="10.250.0.9")
    assert port_states(env, ["web-1"]) == {"web-1": {"admin": "bound to the ship's loopback, not checked"}}


def test_a_long_range_tries_its_first_ports(listening):
    port = listening + 2  # nothing listens from here on, most likely: refused at once
    env = environment({"r": {"exposed": "100-119", "external": "%d-%d" % (port, port + 19)}})
    assert port_states(env, ["web-1"])["web-1"]["r"].endswith(" (the first 16 of 20 tried)")
