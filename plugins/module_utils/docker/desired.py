# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Docker is asked to create for an instance spec: ``desired_config`` (the arguments of
the create calls, JSON-able) and ``config_digest`` (its fingerprint, which the container is
labelled with, so a listing tells that it still matches)."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any, Mapping

from ..defaults import DEFAULT_STOP_TIMEOUT
from ..errors import ContainerError
from ..model.ports import bindings as port_bindings
from ..model.ports import span
from ..model.vault import fingerprint

if TYPE_CHECKING:
    from ..records import InstanceSpec

LABEL_ENVIRONMENT = "maestro.ng.environment"
LABEL_SERVICE = "maestro.ng.service"
LABEL_INSTANCE = "maestro.ng.instance"
LABEL_SHIP = "maestro.ng.ship"
# A digest of the settings a container was created with (config_digest): a container listing
# then tells, without an inspect per container, that it still matches the file.
LABEL_DIGEST = "maestro.ng.digest"
# A healthcheck's settings (records.Healthcheck) under the docker SDK's names; Docker's API names them in CamelCase.
HEALTHCHECK_FIELDS = {
    "test": "Test",
    "interval": "Interval",
    "timeout": "Timeout",
    "retries": "Retries",
    "start_period": "StartPeriod",
    "start_interval": "StartInterval",
}


def _command(spec):
    command = spec.get("command")
    if command is None:
        return None
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def _port_bindings(spec):
    """{"80/tcp": [{"HostIp": ..., "HostPort": ...}, ...]}: the spec's ports (model/ports.py's
    bindings) in the form Docker's API takes."""
    for port in spec["ports"]:
        (e_first, e_last), (x_first, x_last) = span(port["exposed"]), span(port["external"])
        if e_first != e_last and e_last - e_first != x_last - x_first:
            # The model refuses these; maestro.ng.container's options are checked here.
            raise ContainerError(
                "%s: port %s: %s and %s are ranges of different sizes"
                % (spec["name"], port.get("name"), port["exposed"], port["external"])
            )
    return {
        key: [{"HostIp": host_ip, "HostPort": str(host_port)} for host_ip, host_port in pairs]
        for key, pairs in port_bindings(spec["ports"]).items()
    }


def _binds(spec):
    return ["%s:%s:%s" % (v["source"], v["target"], v.get("mode") or "rw") for v in spec.get("volumes") or []]


def _labels(spec):
    labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
    labels.update(
        {
            LABEL_ENVIRONMENT: spec.get("environment") or "",
            LABEL_SERVICE: spec.get("service") or "",
            LABEL_INSTANCE: spec["name"],
            LABEL_SHIP: spec.get("ship") or "",
        }
    )
    return labels


def _restart_policy(spec):
    restart = spec.get("restart") or {}
    name = restart.get("name") or "no"
    # Docker rejects a retry count with any other policy than on-failure.
    retries = int(restart.get("maximum_retry_count") or 0) if name == "on-failure" else 0
    return {"Name": name, "MaximumRetryCount": retries}


def stop_timeout(spec: InstanceSpec) -> int:
    """Seconds between SIGTERM and SIGKILL when the container stops."""
    timeout = spec.get("stop_timeout")
    return DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)


def _published(spec, bindings):
    """(port bindings, exposed ports) Docker takes in the spec's network mode.

    A container on the ship's own network (``host``) or on another container's
    (``container:NAME``) has no ports of its own to publish: the docker SDK refuses
    bindings with ``host`` and the daemon refuses both with ``container:``. MaestroNG
    files declare ports there anyway, for the link variables and lifecycle checks.
    """
    mode = spec.get("network_mode") or ""
    exposed = {key: {} for key in bindings}
    if mode == "host":
        return {}, exposed
    if mode.startswith("container:"):
        return {}, {}
    return bindings, exposed


def desired_config(spec: InstanceSpec) -> dict[str, Any]:
    """The arguments to create the container of ``spec``.

    Returns {"create": kwargs for APIClient.create_container (without host_config),
    "host_config": kwargs for APIClient.create_host_config}; both JSON-able.
    """
    bindings, exposed = _published(spec, _port_bindings(spec))
    limits = spec.get("limits") or {}
    host_config = {
        "binds": _binds(spec),
        "port_bindings": bindings,
        "volumes_from": list(spec.get("volumes_from") or []),
        "links": dict(spec.get("links") or {}),
        "privileged": bool(spec.get("privileged")),
        "cap_add": list(spec.get("cap_add") or []),
        "cap_drop": list(spec.get("cap_drop") or []),
        "security_opt": list(spec.get("security_opt") or []),
        "extra_hosts": dict(spec.get("extra_hosts") or {}),
        "network_mode": spec.get("network_mode"),
        "restart_policy": _restart_policy(spec),
        "dns": list(spec.get("dns") or []),
        "ulimits": [
            {"Name": u["name"], "Soft": int(u["soft"]), "Hard": int(u["hard"])} for u in spec.get("ulimits") or []
        ],
    }
    for option, value in (
        ("cpu_shares", limits.get("cpu_shares")),
        ("mem_limit", limits.get("memory")),
        ("memswap_limit", limits.get("memswap")),
    ):
        if value is not None:
            host_config[option] = int(value)
    if spec.get("log_driver") or spec.get("log_opt"):
        host_config["log_config"] = {
            "Type": spec.get("log_driver"),
            "Config": {str(k): str(v) for k, v in (spec.get("log_opt") or {}).items()},
        }
    check = spec.get("healthcheck") or {}
    healthcheck = {key: check[key] for key in HEALTHCHECK_FIELDS if key in check}  # type: ignore[literal-required]
    create = {
        "image": spec["image"],
        "name": spec["name"],
        "command": _command(spec),
        "hostname": spec.get("hostname"),
        "user": spec.get("user"),
        "environment": {str(k): str(v) for k, v in (spec.get("env") or {}).items()},
        "ports": exposed,
        "volumes": list(spec.get("container_volumes") or []),
        "labels": _labels(spec),
        "working_dir": spec.get("workdir"),
        "stop_timeout": stop_timeout(spec),
        "detach": True,
    }
    if healthcheck:  # only then: a file without one makes the same containers, with the same digests
        create["healthcheck"] = healthcheck
    return {"create": create, "host_config": host_config}


def config_digest(desired: Mapping[str, Any], spec: InstanceSpec) -> str:
    """A short fingerprint of ``spec``'s desired_config(), its secrets' digests in their place."""
    return fingerprint(json.dumps(desired, sort_keys=True, default=str), spec)
