# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables MaestroNG gives every container, with its exact names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Mapping

from . import ordering

if TYPE_CHECKING:
    from ..records import InstanceSpec, Service
    from .drafts import Drafts

_NON_WORD = re.compile(r"[^\w]")


def sanitize(name: str) -> str:
    """MaestroNG's variable-name form: every non-word character becomes ``_``."""
    return _NON_WORD.sub("_", name).upper()


def docker_tag(image: str) -> str:
    """Text after the last ``:``; ``latest`` when there is none or it holds a ``/``."""
    dummy, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return "latest"
    return tag


def base_variables(env_name: str, service: str, instance: str, ship_ip: str, image: str) -> dict[str, dict[str, str]]:
    return {
        "service": {"MAESTRO_ENVIRONMENT_NAME": env_name, "SERVICE_NAME": service},
        "instance": {
            "CONTAINER_NAME": instance,
            "CONTAINER_HOST_ADDRESS": ship_ip,
            "DOCKER_IMAGE": image,
            "DOCKER_TAG": docker_tag(image),
        },
    }


def link_variables(service: str, instances: Iterable[InstanceSpec], internal: bool) -> dict[str, str]:
    """Where a service's instances live: ``S_INSTANCES``, ``S_I_HOST``, ``S_I_P_PORT``
    (and ``S_I_P_INTERNAL_PORT`` for the container's own service)."""
    prefix = sanitize(service)
    result = {prefix + "_INSTANCES": ",".join(sorted(i["name"] for i in instances))}
    for inst in instances:
        inst_prefix = "%s_%s" % (prefix, sanitize(inst["name"]))
        result[inst_prefix + "_HOST"] = inst["ship_ip"]
        for port in inst["ports"]:
            port_prefix = "%s_%s" % (inst_prefix, sanitize(port["name"]))
            result[port_prefix + "_PORT"] = port["external"]
            if internal:
                result[port_prefix + "_INTERNAL_PORT"] = port["exposed"]
    return result


def compose(
    env_name: str, services: Mapping[str, Service], instances: Mapping[str, InstanceSpec], drafts: Drafts
) -> None:
    """Set every instance's ``env``, in MaestroNG's precedence (later wins): the service's
    env files and env, the service variables, the instance's env files and env, the instance
    variables, its own service's link variables, those of its dependencies (``requires``,
    transitively, and ``wants_info``)."""
    requires = {name: svc["requires"] for name, svc in services.items()}
    links = {}

    def link_vars(name, internal):
        key = (name, internal)
        if key not in links:
            links[key] = link_variables(name, [instances[i] for i in services[name]["instances"]], internal)
        return links[key]

    for svc in services.values():
        deps = ordering.closure([svc["name"]], requires) | set(svc["wants_info"])
        deps.discard(svc["name"])
        dep_vars = {}
        for dep in sorted(deps, key=lambda d: drafts.services[d].index):
            dep_vars.update(link_vars(dep, False))
        own_vars = link_vars(svc["name"], True)
        for inst_name in svc["instances"]:
            inst = instances[inst_name]
            base = base_variables(env_name, svc["name"], inst_name, inst["ship_ip"], inst["image"])
            env = dict(drafts.services[svc["name"]].env)
            env.update(base["service"])
            env.update(drafts.instances[inst_name].own_env)
            env.update(base["instance"])
            env.update(own_vars)
            env.update(dep_vars)
            inst["env"] = env
