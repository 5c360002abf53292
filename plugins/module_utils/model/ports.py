# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG port specs.

``exposed`` is the container side and ``external`` the host side. In the string
form ``'80:8080'`` the FIRST number is the container port, the reverse of
``docker -p``. Ranges stay ranges (``'1234-1236'``); a single exposed port with an
external range means "any free host port in that range".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..errors import MaestroError

if TYPE_CHECKING:
    from ..records import Port

PROTOCOLS = ("tcp", "udp")
_PART = re.compile(r"^(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?$")


def _part(text, path, line):
    """``'80'``, ``'80/udp'``, ``'1234-1236/tcp'`` -> (first, last, protocol or None)."""
    match = _PART.match(str(text).strip())
    if not match:
        raise MaestroError("invalid port %r (expected PORT, PORT/PROTO or FIRST-LAST)" % (text,), path, line)
    first = int(match.group(1))
    last = int(match.group(2) or first)
    proto = match.group(3).lower() if match.group(3) else None
    for number in (first, last):
        if not 1 <= number <= 65535:
            raise MaestroError("port %d is out of range 1-65535" % number, path, line)
    if last < first:
        raise MaestroError("port range %r goes backwards" % (text,), path, line)
    if proto is not None and proto not in PROTOCOLS:
        raise MaestroError("unknown protocol %r (tcp or udp)" % proto, path, line)
    return first, last, proto


def _text(first, last):
    return str(first) if first == last else "%d-%d" % (first, last)


def parse_port(name: str, spec: Any, path: tuple, line: Optional[int] = None) -> Port:
    """One named port -> {name, exposed, external, protocol, host_ip}."""
    host_ip = "0.0.0.0"
    if isinstance(spec, bool) or spec is None:
        raise MaestroError("invalid port spec %r" % (spec,), path, line)
    if isinstance(spec, dict):
        unknown = set(spec) - {"exposed", "external"}
        if unknown:
            raise MaestroError("unknown port key %r (exposed, external)" % sorted(unknown)[0], path, line)
        if spec.get("exposed") is None:
            raise MaestroError("port mapping needs 'exposed'", path, line)
        exposed = spec["exposed"]
        external = spec.get("external", exposed)
        if isinstance(external, list):
            if len(external) != 2:
                raise MaestroError("external must be [HOST_IP, PORT], got %r" % (external,), path, line)
            host_ip, external = str(external[0]), external[1]
    elif isinstance(spec, int):
        exposed = external = spec
    elif isinstance(spec, str):
        exposed, sep, external = spec.partition(":")
        if not sep:
            external = exposed
        elif ":" in external:
            raise MaestroError("invalid port spec %r (use the mapping form to give a host address)" % spec, path, line)
    else:
        raise MaestroError("invalid port spec %r" % (spec,), path, line)

    e_first, e_last, e_proto = _part(exposed, path, line)
    x_first, x_last, x_proto = _part(external, path, line)
    if e_proto and x_proto and e_proto != x_proto:
        raise MaestroError("port protocols do not match (%s vs %s) in %r" % (e_proto, x_proto, spec), path, line)
    if e_first != e_last and (x_last - x_first) != (e_last - e_first):
        raise MaestroError(
            "port ranges %r and %r differ in length" % (_text(e_first, e_last), _text(x_first, x_last)), path, line
        )
    return {
        "name": str(name),
        "exposed": _text(e_first, e_last),
        "external": _text(x_first, x_last),
        "protocol": e_proto or x_proto or "tcp",
        "host_ip": host_ip,
    }


def span(port_text: str) -> tuple[int, int]:
    first, dummy, last = str(port_text).partition("-")
    return int(first), int(last or first)


def same_address(a: Optional[str], b: Optional[str]) -> bool:
    """Two host addresses that bind the same sockets (0.0.0.0 is every address)."""
    return a == b or a == "0.0.0.0" or b == "0.0.0.0"


def host_numbers(port: Port) -> range:
    """The host port numbers ``port`` surely binds (none for a random pick in a range)."""
    if is_random(port):
        return range(0)
    first, last = span(port["external"])
    return range(first, last + 1)


def is_random(port: Port) -> bool:
    return "-" not in port["exposed"] and "-" in port["external"]


def bindings(ports: Iterable[Port]) -> dict[str, list[tuple]]:
    """Docker SDK ``port_bindings``: {'80/tcp': [('0.0.0.0', 8080)], ...}."""
    result: dict[str, list[tuple]] = {}
    for port in ports:
        e1, e2 = span(port["exposed"])
        x1, x2 = span(port["external"])
        if is_random(port):
            result.setdefault("%d/%s" % (e1, port["protocol"]), []).append((port["host_ip"], "%d-%d" % (x1, x2)))
            continue
        for offset in range(e2 - e1 + 1):
            result.setdefault("%d/%s" % (e1 + offset, port["protocol"]), []).append((port["host_ip"], x1 + offset))
    return result
