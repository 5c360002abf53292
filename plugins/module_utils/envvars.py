# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables MaestroNG gives every container, with its exact names."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^\w]")


def sanitize(name):
    """MaestroNG's variable-name form: every non-word character becomes ``_``."""
    return _NON_WORD.sub("_", name).upper()


def docker_tag(image):
    """Text after the last ``:``; ``latest`` when there is none or it holds a ``/``."""
    dummy, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return "latest"
    return tag


def base_variables(env_name, service, instance, ship_ip, image):
    return {
        "service": {"MAESTRO_ENVIRONMENT_NAME": env_name, "SERVICE_NAME": service},
        "instance": {
            "CONTAINER_NAME": instance,
            "CONTAINER_HOST_ADDRESS": ship_ip,
            "DOCKER_IMAGE": image,
            "DOCKER_TAG": docker_tag(image),
        },
    }


def link_variables(service, instances, internal):
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
