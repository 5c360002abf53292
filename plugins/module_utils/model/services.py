# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``services`` section: each service and the names of its instances (each instance's
settings: instances.py). What later steps need of the file but the model does not keep
(raw mappings for error lines, env before variables, ...) goes to side tables (drafts.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from . import envvars, readiness_section, schema, update_section
from . import instances as instance_reader
from .drafts import Drafts, InstanceDraft, ServiceDraft
from .instances import read_lifecycle, read_ports
from .schema import fail

if TYPE_CHECKING:
    from ..records import InstanceSpec, Service, Ship
    from .file_context import FileContext

# The instance name is the container's name: Docker's rule, so a bad one fails here and not at the daemon.
CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_SERVICE_HINTS = dict.fromkeys(
    schema.INSTANCE_KEYS - schema.SERVICE_KEYS, "an instance setting: put it under each instance"
)


def read(
    doc: Mapping[str, Any], context: FileContext, env_name: str, schema_version: int, ships: Mapping[str, Ship]
) -> tuple[dict[str, Service], dict[str, InstanceSpec], Drafts]:
    """(service name -> service, instance name -> spec, Drafts), in the file's order."""
    raw = schema.get_map(doc, "services", (), required=True)
    services: dict[str, Service] = {}
    instances: dict[str, InstanceSpec] = {}
    owner: dict[str, str] = {}  # instance -> its service
    prefixes: dict[tuple, Any] = {}
    drafts = Drafts()
    for index, (name, svc) in enumerate(raw.items()):
        name = str(name)
        path = ("services", name)
        service_prefix = _variable_prefix(prefixes, (envvars.sanitize(name),), "services", name, path, raw)
        schema.check_map(svc, path, raw, name)
        schema.check_keys(svc, schema.SERVICE_KEYS, path, "service", _SERVICE_HINTS)
        service: Service = {
            "name": name,
            "image": schema.get_str(svc, "image", path, required=True),
            "requires": schema.get_str_list(svc, "requires", path),
            "wants_info": schema.get_str_list(svc, "wants_info", path),
            "omit": schema.get_bool(svc, "omit", path),
            "instances": [],
            "level": None,
            "update": update_section.read(svc, path),
        }
        draft = drafts.services[name] = ServiceDraft(svc, path, index)
        draft.env = context.env(svc, path)
        draft.ports = read_ports(svc, path)
        draft.limits = schema.get_map(svc, "limits", path)
        schema.check_keys(draft.limits, schema.LIMIT_KEYS, path + ("limits",), "limits")
        draft.lifecycle = read_lifecycle(svc, path)
        draft.healthcheck = readiness_section.read(svc, path)
        draft.oneshot = readiness_section.oneshot(svc, path)
        inst_raw = schema.get_map(svc, "instances", path, required=True)
        if not inst_raw:
            fail("must define at least one instance", path + ("instances",), svc, "instances")
        for inst_name, inst in inst_raw.items():
            inst_name = str(inst_name)
            ipath = path + ("instances", inst_name)
            if not CONTAINER_NAME.match(inst_name):
                fail(
                    "%r cannot be a container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
                    "(two characters or more, starting with a letter or digit)" % inst_name,
                    ipath,
                    inst_raw,
                    inst_name,
                )
            if inst_name in owner:
                fail(
                    "duplicate instance name %r (already an instance of service %r)" % (inst_name, owner[inst_name]),
                    ipath,
                    inst_raw,
                    inst_name,
                )
            owner[inst_name] = name
            _variable_prefix(
                prefixes, service_prefix + (envvars.sanitize(inst_name),), "instances", inst_name, ipath, inst_raw
            )
            schema.check_map(inst, ipath, inst_raw, inst_name)
            instances[inst_name], own_env = instance_reader.read(
                service, draft, inst_name, inst, ipath, context, env_name, schema_version, ships
            )
            drafts.instances[inst_name] = InstanceDraft(inst, ipath, own_env)
            service["instances"].append(inst_name)
        services[name] = service
    return services, instances, drafts


def _variable_prefix(taken, prefix, what, name, path, parent):
    """``prefix`` (the parts of a MaestroNG variable name for ``name``) unless another
    service or instance of the same service has it: MaestroNG turns every non-word
    character into ``_`` and upper-cases, so ``log_1`` and ``log.1`` would both give
    ``LOG_1_*`` and the later one would silently win."""
    # Compared whole: service a's instance b-11 and service a_b's instance 11 both give A_B_11_*.
    key = (what, "_".join(prefix))
    if key in taken:
        fail(
            "%s %r and %r both give the variables %s_* (MaestroNG turns every non-word character into _); "
            "rename one" % (what, taken[key], name, key[1]),
            path,
            parent,
            name,
        )
    taken[key] = name
    return prefix
