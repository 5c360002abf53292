# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of maestro.ng.container, shared by the module (run on a host) and its
action plugin (run in the controller process), their translation into the ship
connection and instance spec that container.py works with, and the one converge both run."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional
from urllib.parse import urlparse

from ..command_specs import CONTAINER_STATES
from . import registries
from .client import ShipUnreachable, connect
from .container import ContainerError, ContainerManager

_PORT = dict(
    name=dict(type="str"),
    exposed=dict(type="str", required=True),
    external=dict(type="str", required=True),
    protocol=dict(type="str", default="tcp", choices=["tcp", "udp"]),
    host_ip=dict(type="str", default="0.0.0.0"),
)
_VOLUME = dict(
    source=dict(type="str", required=True),
    target=dict(type="str", required=True),
    mode=dict(type="str", default="rw"),
)
_RESTART = dict(
    name=dict(type="str", default="no", choices=["no", "always", "on-failure", "unless-stopped"]),
    maximum_retry_count=dict(type="int", default=0),
)
_LIMITS = dict(
    cpu_shares=dict(type="int"),
    memory=dict(type="int"),
    memswap=dict(type="int"),
)
_SSH_TUNNEL = dict(
    host=dict(type="str", required=True),
    user=dict(type="str", required=True),
    port=dict(type="int", default=22),
    key=dict(type="path", no_log=False),
    target=dict(type="str", default="127.0.0.1:2375"),
    timeout=dict(type="int"),
)
_ULIMIT = dict(
    name=dict(type="str", required=True),
    soft=dict(type="int", required=True),
    hard=dict(type="int", required=True),
)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="started", choices=list(CONTAINER_STATES)),
    refresh=dict(type="bool", default=False),
    start_grace=dict(type="float", default=0),
    docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
    api_version=dict(type="str"),
    timeout=dict(type="int", default=60),
    tls=dict(type="bool", default=False),
    tls_verify=dict(type="bool", default=False),
    ca_cert=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=True),
    ssh_tunnel=dict(type="dict", options=_SSH_TUNNEL),
    # The environment's registries section (checked by registries.from_option): passwords inside.
    registries=dict(type="dict", no_log=True),
    image=dict(type="str"),
    service=dict(type="str"),
    ship=dict(type="str"),
    ship_ip=dict(type="str"),
    environment=dict(type="str", default="default"),
    command=dict(type="raw"),
    env=dict(type="dict", default={}),
    ports=dict(type="list", elements="dict", default=[], options=_PORT),
    volumes=dict(type="list", elements="dict", default=[], options=_VOLUME),
    container_volumes=dict(type="list", elements="str", default=[]),
    volumes_from=dict(type="list", elements="str", default=[]),
    links=dict(type="dict", default={}),
    user=dict(type="str"),
    privileged=dict(type="bool", default=False),
    cap_add=dict(type="list", elements="str", default=[]),
    cap_drop=dict(type="list", elements="str", default=[]),
    security_opt=dict(type="list", elements="str", default=[]),
    extra_hosts=dict(type="dict", default={}),
    network_mode=dict(type="str"),
    hostname=dict(type="str"),
    restart=dict(type="dict", default={}, options=_RESTART),
    dns=dict(type="list", elements="str", default=[]),
    stop_timeout=dict(type="int", default=10),
    limits=dict(type="dict", default={}, options=_LIMITS),
    log_driver=dict(type="str"),
    log_opt=dict(type="dict", default={}),
    workdir=dict(type="str"),
    ulimits=dict(type="list", elements="dict", default=[], options=_ULIMIT),
    labels=dict(type="dict", default={}),
    lifecycle=dict(type="dict", default={}),
    # An instance spec from the lookup or inventory plugin; the action plugin expands it.
    spec=dict(type="dict"),
)
REQUIRED_IF = [("state", "started", ["image"]), ("state", "restarted", ["image"])]

_CONNECTION = (
    "spec",
    "state",
    "refresh",
    "start_grace",
    "docker_host",
    "api_version",
    "timeout",
    "tls",
    "tls_verify",
    "ca_cert",
    "client_cert",
    "client_key",
    "ssh_tunnel",
    "registries",
)


def ship_of(params: Mapping[str, Any]) -> tuple[dict[str, Any], Optional[str]]:
    """The ship dict for docker_client.connect()."""
    url = urlparse(params["docker_host"])
    host = url.hostname if url.scheme in ("tcp", "http", "https") else None
    ship = {
        "docker_url": params["docker_host"],
        "api_version": params["api_version"],
        "timeout": params["timeout"],
        "tls": params["tls"],
        "tls_verify": params["tls_verify"],
        "tls_ca_cert": params["ca_cert"],
        "tls_cert": params["client_cert"],
        "tls_key": params["client_key"],
    }
    tunnel = params.get("ssh_tunnel")
    if tunnel:
        # client.py dials the tunnel's local end (ssh_tunnel.py).
        host = host or tunnel["host"]
        ship.update(
            docker_url="ssh://%s@%s:%d" % (tunnel["user"], tunnel["host"], tunnel["port"]),
            endpoint=tunnel["host"],
            ssh_timeout=tunnel["timeout"],
            ssh_tunnel={key: tunnel[key] for key in ("user", "key", "port", "target")},
        )
    ship["name"] = params["ship"] or host or "local"
    return ship, host


def instance_spec(params: Mapping[str, Any], ship: Mapping[str, Any], host: Optional[str]) -> dict[str, Any]:
    """The instance spec of the module's parameters (see container.py)."""
    spec = {key: value for key, value in params.items() if key not in _CONNECTION}
    spec.update(
        service=params["service"] or params["name"],
        ship=ship["name"],
        ship_ip=params["ship_ip"] or host or "127.0.0.1",
        hostname=params["hostname"] or (None if params["network_mode"] else params["name"]),
    )
    return spec


def _leaves(value):
    """The values Ansible's no_log takes from an option, as it writes them."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_leaves(item) for item in value)) if value else set()
    if value is None or isinstance(value, bool) or value == "":
        return set()
    return {str(value)}


def registry_secrets_only(no_log_values: Iterable[str], params: Mapping[str, Any]) -> set[str]:
    """no_log on ``registries`` makes Ansible mask each of its values in the module's whole
    output, down to the "3" of retry.attempts (in container ids too) and the registry and user
    names its errors give; of these, only the passwords are secret (client_key stays masked)."""
    option = params.get("registries")
    entries = [entry for entry in option.values() if isinstance(entry, dict)] if isinstance(option, dict) else []
    secrets = _leaves([entry.get("password") for entry in entries]) | _leaves(params.get("client_key"))
    return (set(no_log_values) - _leaves(option)) | secrets


def converge(
    params: Mapping[str, Any],
    known_registries: Optional[Mapping[str, dict]],
    check_mode: bool = False,
    diff: bool = False,
    unreachable: bool = False,
) -> dict[str, Any]:
    """The container's run for checked ``params``: its result, with ``failed`` and ``msg``
    when it failed (what it had done kept, its diff dropped) and ``diff`` only when asked.
    ``unreachable``: a ship that does not answer is ``unreachable``, not ``failed``."""
    ship, host = ship_of(params)
    try:
        client = connect(ship)
        registries.login(client, known_registries)
        manager = ContainerManager(
            client,
            instance_spec(params, ship, host),
            check_mode=check_mode,
            start_grace=params["start_grace"],
            registries=known_registries,
        )
        result = manager.converge(params["state"], refresh=params["refresh"])
    except ContainerError as exc:
        partial = dict(exc.result or {})
        partial.pop("diff", None)
        return dict(partial, failed=True, msg=str(exc))
    except ShipUnreachable as exc:
        return {"unreachable" if unreachable else "failed": True, "msg": str(exc)}
    changes = result.pop("diff")
    if diff and changes:
        result["diff"] = changes
    return result
