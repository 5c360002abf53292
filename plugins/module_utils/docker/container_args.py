# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of maestro.ng.container, shared by the module (run on a host) and its
action plugin (run in the controller process), their translation into the ship
connection and instance spec that container.py works with, and the one converge both run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, cast
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ..command_specs import CONTAINER_STATES
from ..defaults import DEFAULT_DOCKER_PORT, DEFAULT_STOP_TIMEOUT, DEFAULT_TIMEOUT
from ..errors import ContainerError, MaestroError
from ..model import vault
from ..model.docker_rules import problems
from ..model.ports import PROTOCOLS
from ..model.schema import RESTART_POLICIES
from ..model.secrets import hidden
from ..model.vault import clear_values
from . import registries
from .client import DOCKER_IMPORT_ERROR, HAS_DOCKER, ShipUnreachable, connect, ship_at
from .container import ContainerManager

if TYPE_CHECKING:
    from ..records import InstanceSpec, Registry, Ship

_PORT = dict(
    name=dict(type="str"),
    exposed=dict(type="str", required=True),
    external=dict(type="str", required=True),
    protocol=dict(type="str", default="tcp", choices=list(PROTOCOLS)),
    host_ip=dict(type="str", default="0.0.0.0"),
)
_VOLUME = dict(
    source=dict(type="str", required=True),
    target=dict(type="str", required=True),
    mode=dict(type="str", default="rw"),
)
_RESTART = dict(
    name=dict(type="str", default="no", choices=list(RESTART_POLICIES)),
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
    target=dict(type="str", default="127.0.0.1:%d" % DEFAULT_DOCKER_PORT),
    timeout=dict(type="int"),
)
_ULIMIT = dict(
    name=dict(type="str", required=True),
    soft=dict(type="int", required=True),
    hard=dict(type="int", required=True),
)

# How the container is reached and run: the ship's settings under their engine names (records.Ship;
# the names the module was first documented with stay as aliases), and what the run does.
CONNECTION_SPEC = dict(
    state=dict(type="str", default="started", choices=list(CONTAINER_STATES)),
    refresh=dict(type="bool", default=False),
    start_grace=dict(type="float", default=0),
    wait_healthy=dict(type="bool", default=True),
    adopt=dict(type="bool", default=False),
    docker_url=dict(type="str", default="unix:///var/run/docker.sock", aliases=["docker_host"]),
    api_version=dict(type="str"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    tls=dict(type="bool", default=False),
    tls_verify=dict(type="bool", default=False),
    tls_ca_cert=dict(type="path", aliases=["ca_cert"]),
    tls_cert=dict(type="path", aliases=["client_cert"]),
    tls_key=dict(type="path", no_log=True, aliases=["client_key"]),
    ssh_tunnel=dict(type="dict", options=_SSH_TUNNEL),
    # The environment's registries section (checked by registries.from_option): passwords inside.
    registries=dict(type="dict", no_log=True),
)
# What maestro.ng.container takes besides: a whole spec, and its vault values apart from it.
SPEC_SPEC = dict(
    # An instance spec from the lookup or inventory plugin; the action plugin expands it.
    spec=dict(type="dict"),
    # The spec's vault values, apart from it (the inventory's maestro_instance_secrets[name]).
    secrets=dict(type="dict", no_log=True),
)
# One option per key of an instance spec (records.InstanceSpec) but its dependency level.
INSTANCE_SPEC = dict(
    name=dict(type="str", required=True),
    service=dict(type="str"),
    ship=dict(type="str"),
    ship_ip=dict(type="str"),
    environment=dict(type="str", default="default"),
    image=dict(type="str"),
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
    stop_timeout=dict(type="int", default=DEFAULT_STOP_TIMEOUT),
    limits=dict(type="dict", default={}, options=_LIMITS),
    log_driver=dict(type="str"),
    log_opt=dict(type="dict", default={}),
    workdir=dict(type="str"),
    ulimits=dict(type="list", elements="dict", default=[], options=_ULIMIT),
    labels=dict(type="dict", default={}),
    lifecycle=dict(type="dict", default={}),
    healthcheck=dict(type="dict"),
    oneshot=dict(type="float"),
    secret_digests=dict(type="dict", default={}, no_log=False),
)
ARGUMENT_SPEC = dict(CONNECTION_SPEC, **SPEC_SPEC, **INSTANCE_SPEC)
REQUIRED_IF = [("state", "started", ["image"]), ("state", "restarted", ["image"])]


def ship_of(params: Mapping[str, Any]) -> tuple[Ship, Optional[str]]:
    """(the ship of the module's options, the host its Docker API is reached at, if any)."""
    url = urlparse(params["docker_url"])
    host = url.hostname if url.scheme in ("tcp", "http", "https") else None
    tunnel = params.get("ssh_tunnel")
    if tunnel:
        host = host or tunnel["host"]
    settings = {
        key: params[key]
        for key in ("api_version", "timeout", "tls", "tls_verify", "tls_ca_cert", "tls_cert", "tls_key")
    }
    if tunnel:
        # client.py dials the tunnel's local end (ssh_tunnel.py).
        settings.update(
            docker_url="ssh://%s@%s:%d" % (tunnel["user"], tunnel["host"], tunnel["port"]),
            endpoint=tunnel["host"],
            ssh_timeout=tunnel["timeout"],
            ssh_tunnel={key: tunnel[key] for key in ("user", "key", "port", "target")},
        )
    return ship_at(
        params["ship"] or host or "local", params["docker_url"], ip=params["ship_ip"] or host or "127.0.0.1", **settings
    ), host


def instance_spec(params: Mapping[str, Any], ship: Ship) -> InstanceSpec:
    """The instance spec of the module's options (see container.py)."""
    spec = {key: params[key] for key in INSTANCE_SPEC}
    vault.merge(spec, params.get("secrets"))
    spec.update(
        service=params["service"] or params["name"],
        ship=ship["name"],
        ship_ip=ship["ip"],
        hostname=params["hostname"] or (None if params["network_mode"] else params["name"]),
        level=None,
    )
    return cast("InstanceSpec", spec)


def _leaves(value):
    """The values Ansible's no_log takes from an option, as it writes them."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_leaves(item) for item in value)) if value else set()
    if value is None or isinstance(value, bool) or value == "":
        return set()
    return {str(value)}


def secrets_only(no_log_values: Iterable[str], params: Mapping[str, Any]) -> set[str]:
    """no_log on ``registries`` and ``secrets`` makes Ansible mask each of their values in the
    module's whole output, down to the "3" of retry.attempts (in container ids too) and the
    registry and user names its errors give; of these, only the registry passwords and the
    vault values of the spec (those of vault.MIN_HIDDEN characters or more) are secret, and
    tls_key stays masked."""
    option = params.get("registries")
    entries = [entry for entry in option.values() if isinstance(entry, dict)] if isinstance(option, dict) else []
    secrets = _leaves([entry.get("password") for entry in entries]) | _leaves(params.get("tls_key"))
    spec = {key: params.get(key) for key in INSTANCE_SPEC}
    try:
        vault.merge(spec, params.get("secrets"))
    except MaestroError:
        pass  # converge() says so
    secrets.update(clear_values(spec))
    return (set(no_log_values) - _leaves(option) - _leaves(params.get("secrets"))) | secrets


def converge(
    params: Mapping[str, Any],
    known_registries: Optional[Mapping[str, Registry]],
    check_mode: bool = False,
    diff: bool = False,
    unreachable: bool = False,
) -> dict[str, Any]:
    """The container's run for checked ``params``: its result, with ``failed`` and ``msg``
    when it failed (what it had done kept, its diff dropped) and ``diff`` only when asked.
    ``unreachable``: a ship that does not answer is ``unreachable``, not ``failed``."""
    ship = ship_of(params)[0]
    try:
        spec = instance_spec(params, ship)
    except MaestroError as exc:
        return {"failed": True, "msg": str(exc)}
    return hidden(_converged(params, spec, ship, known_registries, check_mode, diff, unreachable), clear_values(spec))


def refusal(spec: InstanceSpec) -> Optional[str]:
    """What Docker would refuse of ``spec`` (docker_rules.py), before any call; None: nothing."""
    refused = problems(spec)
    if not refused:
        return None
    path, message = refused[0]
    return "%s: %s: %s" % (spec["name"], ".".join(str(part) for part in path), message)


def _converged(params, spec, ship, known_registries, check_mode, diff, unreachable):
    refused = refusal(spec)
    if refused:
        return {"failed": True, "msg": refused}
    try:
        client = connect(ship)
        registries.login(client, known_registries)
    except ShipUnreachable as exc:
        return {"unreachable" if unreachable else "failed": True, "msg": str(exc)}
    return converged_on(client, spec, params, known_registries, check_mode, diff, unreachable)


def converged_on(
    client: Any,
    spec: InstanceSpec,
    params: Mapping[str, Any],
    known_registries: Optional[Mapping[str, Registry]],
    check_mode: bool,
    diff: bool,
    unreachable: bool,
    **listing: Any,
) -> dict[str, Any]:
    """``spec``'s container brought to ``params["state"]`` through ``client`` (its ship's); ``listing``:
    what a listing of the ship said of it (ContainerManager.converge's ``listed`` and ``aside``)."""
    try:
        manager = ContainerManager(
            client,
            spec,
            check_mode=check_mode,
            start_grace=params["start_grace"],
            registries=known_registries,
            adopt=params["adopt"],
            wait_healthy=params["wait_healthy"],
        )
        result = manager.converge(params["state"], refresh=params["refresh"], **listing)
    except ContainerError as exc:
        partial = dict(exc.result or {})
        partial.pop("diff", None)
        return dict(partial, failed=True, msg=str(exc))
    except ShipUnreachable as exc:
        return {"unreachable" if unreachable else "failed": True, "msg": str(exc)}
    outcome: dict[str, Any] = {key: value for key, value in result.items() if key != "diff"}
    if diff and result["diff"]:
        outcome["diff"] = result["diff"]
    return outcome


def module_main(argument_spec: Mapping[str, Any], run: Any, masked: Any, required_if: Optional[list] = None) -> None:
    """A module's main: its options checked, the values its output must hide (``masked(no_log_values,
    params)``) set, then ``run(params, registries, check_mode, diff)``'s result as its exit."""
    module = AnsibleModule(argument_spec=dict(argument_spec), required_if=required_if, supports_check_mode=True)
    module.no_log_values = masked(module.no_log_values, module.params)
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)
    try:
        known = registries.from_option(module.params["registries"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    result = run(module.params, known, check_mode=module.check_mode, diff=module._diff)  # pylint: disable=protected-access
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
