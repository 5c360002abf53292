# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ships`` and ``ship_defaults`` sections: each ship's address and how to reach its
Docker API (TCP, TLS, a unix socket or an SSH tunnel)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from ..defaults import DEFAULT_DOCKER_PORT, DEFAULT_TIMEOUT, DEFAULT_TLS_PORT
from . import schema
from .schema import fail

if TYPE_CHECKING:
    from ..records import Ship, SshTunnel
    from .file_context import FileContext

API_VERSION = re.compile(r"^1\.(\d+)$")
MIN_API_MINOR = 24  # docker SDK 7 refuses older API versions


def read(doc: Mapping[str, Any], context: FileContext) -> dict[str, Ship]:
    """Ship name -> ship dict (see the lookup plugin's RETURN)."""
    defaults = schema.get_map(doc, "ship_defaults", ())
    schema.check_keys(
        defaults,
        schema.SHIP_DEFAULT_KEYS,
        ("ship_defaults",),
        "ship_defaults",
        dict.fromkeys(("ip", "endpoint"), "set it on each ship, not in ship_defaults"),
    )
    ships_raw = schema.get_map(doc, "ships", (), required=True)
    if not ships_raw:
        fail("must define at least one ship", ("ships",), doc, "ships")
    ships = {}
    for name, raw in ships_raw.items():
        path = ("ships", str(name))
        schema.check_map(raw, path, ships_raw, name)
        schema.check_keys(raw, schema.SHIP_KEYS, path, "ship")
        ships[str(name)] = _ship(str(name), raw, defaults, path, context)
    return ships


def _ship(name, raw, defaults, path, context) -> Ship:
    merged = dict(defaults)
    merged.update((k, v) for k, v in raw.items() if v is not None)
    # Keep the lines of whichever mapping the value came from (a null on the ship is no value:
    # ship_defaults' applies).
    src = {k: (raw if raw.get(k) is not None else defaults) for k in merged}

    def origin(key):
        return src.get(key, raw), (path if src.get(key, raw) is raw else ("ship_defaults",))

    def get(reader, key, **kw):
        parent, where = origin(key)
        return reader(parent, key, where, **kw) if key in merged else kw.get("default")

    ip = schema.get_str(raw, "ip", path, required=True)
    endpoint = schema.get_str(raw, "endpoint", path) or ip
    tls = get(schema.get_bool, "tls", default=False)
    tls_verify = get(schema.get_bool, "tls_verify", default=False)
    port = get(schema.get_int, "docker_port", default=None, minimum=1)
    socket_path = get(schema.get_str, "socket_path")
    ssh_tunnel = None
    if "ssh_tunnel" in merged:
        parent, where = origin("ssh_tunnel")
        ssh_tunnel = _ssh_tunnel(parent, where, context)
    api_version = get(schema.get_str, "api_version")
    if api_version not in (None, "auto"):
        _check_api_version(api_version, *origin("api_version"))
    timeout = get(schema.get_number, "timeout", default=DEFAULT_TIMEOUT)
    if not timeout:
        parent, where = origin("timeout")
        fail("must be more than 0 seconds", where + ("timeout",), parent, "timeout")
    if port is None:
        port = DEFAULT_TLS_PORT if (tls or tls_verify) else DEFAULT_DOCKER_PORT
    if ssh_tunnel:
        # Where the Docker API is reached from (docker/client.py opens the tunnel);
        # the daemon sits behind it at docker_port (or socket_path) on the ship.
        url = "ssh://%s@%s:%d" % (ssh_tunnel["user"], endpoint, ssh_tunnel["port"])
    elif socket_path:
        url = "unix://" + socket_path
    else:
        url = "tcp://%s:%d" % (endpoint, port)
    return {
        "name": name,
        "ip": ip,
        "endpoint": endpoint,
        "docker_port": port,
        "socket_path": socket_path,
        "docker_url": url,
        "api_version": api_version,
        "timeout": timeout,
        "ssh_timeout": get(schema.get_number, "ssh_timeout", default=None),
        "ssh_tunnel": ssh_tunnel,
        "tls": tls or tls_verify,
        "tls_verify": tls_verify,
        "tls_ca_cert": context.path(get(schema.get_str, "tls_ca_cert")),
        "tls_cert": context.path(get(schema.get_str, "tls_cert")),
        "tls_key": context.path(get(schema.get_str, "tls_key")),
    }


def _ssh_tunnel(parent, where, context) -> SshTunnel:
    tunnel = schema.get_map(parent, "ssh_tunnel", where)
    tpath = where + ("ssh_tunnel",)
    schema.check_keys(tunnel, schema.SSH_TUNNEL_KEYS, tpath, "ssh_tunnel")
    return {
        "user": schema.get_str(tunnel, "user", tpath, required=True),
        "key": context.path(schema.get_str(tunnel, "key", tpath, required=True)),
        "port": schema.get_int(tunnel, "port", tpath, default=22, minimum=1),
    }


def _check_api_version(version, parent, where):
    def bad(message):
        fail(message, where + ("api_version",), parent, "api_version")

    match = API_VERSION.match(version)
    if not match:
        bad('must be a Docker API version such as "1.41", or auto; got %r' % version)
    if int(match.group(1)) < MIN_API_MINOR:
        if not isinstance(parent["api_version"], str) and len(match.group(1)) == 1:
            bad("quote it: YAML reads 1.%s0 as the number %s" % (match.group(1), version))
        bad("the docker SDK speaks API 1.%d and later; got %s" % (MIN_API_MINOR, version))
