# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's own rules (docker_rules.py) over every instance of a file, each problem located at the
key that says it: an instance's own setting, or its service's. Also where the settings a ship
checks before the first change (run/preflight.py) were written, so its refusals name the line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

from . import docker_rules
from .loader import line_of
from .schema import fail

if TYPE_CHECKING:
    from ..records import InstanceSpec
    from .drafts import Drafts

# Spec keys the file spells otherwise (records.InstanceSpec -> MaestroNG's keys).
_FILE_KEYS = {"network_mode": "net", "user": "username", "memswap": "swap", "cpu_shares": "cpu"}
# Settings only the ship can judge (it may lack the image, the log driver or the network, or be older
# than a capability).
SHIP_CHECKED = ("image", "log_driver", "network_mode", "cap_add", "cap_drop", "healthcheck")

Where = tuple  # (key path in the file, its line or None)


def check(instances: Mapping[str, InstanceSpec], drafts: Drafts) -> dict[str, dict[str, Where]]:
    """Fail, located, at the first value of any instance that Docker would refuse; else
    {instance: {SHIP_CHECKED key it sets: where the file says it}}."""
    where: dict[str, dict[str, Where]] = {}
    for name, spec in instances.items():
        for spec_path, message in docker_rules.problems(spec):
            path, parent, key = _locate(drafts, name, spec, spec_path)
            fail(message, path, parent, key)
        where[name] = {}
        for key in SHIP_CHECKED:
            if spec[key]:  # type: ignore[literal-required]
                path, parent, raw_key = _locate(drafts, name, spec, (key,))
                where[name][key] = (path, line_of(parent, raw_key))
    return where


def _locate(drafts: Drafts, name: str, spec: InstanceSpec, spec_path: tuple) -> tuple[tuple, Any, Any]:
    """(key path in the file, the mapping or list holding it, its key there) of a spec's value."""
    instance = drafts.instances[name]
    service = drafts.services[spec["service"]]
    top = _FILE_KEYS.get(spec_path[0], spec_path[0])
    raw, path = instance.raw, instance.path
    if top == "limits":
        sub = _FILE_KEYS.get(spec_path[1], spec_path[1])
        own = instance.raw.get("limits") or {}
        raw, path = (own, instance.path) if sub in own else (service.raw.get("limits") or {}, service.path)
        return path + ("limits", sub), raw, sub
    if top not in raw and top in service.raw:
        raw, path = service.raw, service.path
    value = raw.get(top)
    if len(spec_path) == 1 or not isinstance(value, (dict, list)):
        return path + (top,), raw, top
    item = _item(value, spec_path[1])
    return path + (top, str(item)), value, item


def _item(value: Any, wanted: Any) -> Optional[Any]:
    """The key (or index) of ``value`` for a spec's index or name: a spec's list of volumes or
    ulimits follows the file's mapping in order; a list of labels holds the name itself."""
    if isinstance(value, dict):
        if wanted in value:
            return wanted
        keys = list(value)
        return keys[wanted] if isinstance(wanted, int) and wanted < len(keys) else None
    if isinstance(wanted, int):
        return wanted
    return value.index(wanted) if wanted in value else None
