# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each named port's state, as MaestroNG's ``status -F`` shows it: a TCP connection from the
controller to the port a ship publishes, all ports at once, each bounded by the tcp check's
connect timeout (and its settle time), so the whole check takes about one such try per
MAX_THREADS ports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Iterable, NamedTuple

from ..defaults import MAX_THREADS
from ..docker.lifecycle import tcp_probe
from .report import PORT_DOWN, PORT_LOCAL_ONLY, PORT_UDP, PORT_UP

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import InstanceSpec, Port

# A range's first ports only are tried (the rest would only multiply the wait).
RANGE_LIMIT = 16


def _loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "localhost")


class _Probe(NamedTuple):
    """What to try for one named port: (address, port) pairs out of ``total`` ports, or
    none and the state to show instead."""

    targets: list[tuple[str, int]]
    total: int
    instead: str


def _probe(env: Environment, spec: InstanceSpec, port: Port) -> _Probe:
    # Not tried: UDP has no connection to open; a loopback address on another machine is not ours to reach.
    if port["protocol"] != "tcp":
        return _Probe([], 0, PORT_UDP)
    address = spec["ship_ip"] if port["host_ip"] in ("0.0.0.0", "::", "") else port["host_ip"]
    local_ship = _loopback(spec["ship_ip"]) or env.ships[spec["ship"]]["docker_url"].startswith("unix://")
    if _loopback(address) and not local_ship:
        return _Probe([], 0, PORT_LOCAL_ONLY)
    first, _sep, last = port["external"].partition("-")
    numbers = range(int(first), int(last or first) + 1)
    return _Probe([(address, number) for number in numbers[:RANGE_LIMIT]], len(numbers), "")


def _state(probe: _Probe, listening: dict[tuple[str, int], bool]) -> str:
    if not probe.targets:
        return probe.instead
    up, tried = sum(listening[pair] for pair in probe.targets), len(probe.targets)
    text = PORT_UP if up == tried else PORT_DOWN if not up else "%d/%d up" % (up, tried)
    return text if tried == probe.total else "%s (the first %d of %d tried)" % (text, tried, probe.total)


def port_states(env: Environment, instances: Iterable[str]) -> dict[str, dict[str, str]]:
    """{instance: {port name: state}} for the named ports of ``instances``: up, down, a share
    of a range up, or why it was not tried."""
    probes = {
        name: {port["name"]: _probe(env, env.instances[name], port) for port in env.instances[name]["ports"]}
        for name in instances
    }
    pairs = sorted({pair for ports in probes.values() for probe in ports.values() for pair in probe.targets})
    with ThreadPoolExecutor(max(1, min(len(pairs), MAX_THREADS))) as pool:
        listening = dict(zip(pairs, pool.map(lambda pair: tcp_probe(*pair) is None, pairs)))
    return {name: {port: _state(probe, listening) for port, probe in ports.items()} for name, ports in probes.items()}
