# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What services and instances say of each other, checked once all are read: the services
they require, the instances they take volumes from or link to, and the host ports they
publish on a ship."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from . import ports as portspec
from .schema import fail

if TYPE_CHECKING:
    from ..records import InstanceSpec, Service
    from .drafts import Drafts


def check(services: Mapping[str, Service], instances: Mapping[str, InstanceSpec], drafts: Drafts) -> None:
    """Fail, located, at the first reference that cannot hold."""
    for name, svc in services.items():
        service_draft = drafts.services[name]
        for key in ("requires", "wants_info"):
            for dep in svc[key]:
                if dep not in services:
                    fail(
                        "unknown service %r (known: %s)" % (dep, ", ".join(sorted(services))),
                        service_draft.path + (key,),
                        service_draft.raw,
                        key,
                    )
    taken: dict[tuple, str] = {}
    for inst in instances.values():
        draft = drafts.instances[inst["name"]]
        _check_instance_links(inst, instances, draft)
        if inst["network_mode"] != "host":
            _check_host_ports(inst, draft, taken)


def _check_instance_links(inst, instances, draft):
    raw, path = draft.raw, draft.path
    for key in ("volumes_from", "links"):
        for target in inst[key]:
            if target not in instances:
                fail("unknown instance %r" % target, path + (key,), raw, key)
            if instances[target]["ship"] != inst["ship"]:
                fail(
                    "%s runs on ship %s, not on %s (%s must be on the same ship)"
                    % (target, instances[target]["ship"], inst["ship"], key),
                    path + (key,),
                    raw,
                    key,
                )
            if target == inst["name"]:
                fail("an instance cannot use itself", path + (key,), raw, key)
    mine = {v["target"] for v in inst["volumes"]}
    for target in inst["volumes_from"]:
        other = instances[target]
        theirs = {v["target"] for v in other["volumes"]} | set(other["container_volumes"])
        clash = sorted(mine & theirs)
        if clash:
            fail("%s is also a volume of %s (volumes_from)" % (clash[0], target), path + ("volumes",), raw, "volumes")


def _check_host_ports(inst, draft, taken):
    """``taken`` indexes the host ports seen so far: (ship, protocol, number) -> [(host_ip,
    instance, port)], so each port is checked in time proportional to its width, not to the
    ship's port count (the pairwise check was quadratic: 1 s for 500 instances). Each port is
    checked against the instance's own earlier ports too."""
    for port in inst["ports"]:
        for number in portspec.host_numbers(port):
            for host_ip, other, other_port in taken.get((inst["ship"], port["protocol"], number), ()):
                if portspec.same_address(host_ip, port["host_ip"]):
                    fail(
                        "host port %s/%s is already used by %s (port %s) on ship %s"
                        % (port["external"], port["protocol"], other, other_port, inst["ship"]),
                        draft.path + ("ports", port["name"]),
                        draft.raw.get("ports") or draft.raw,
                        port["name"],
                    )
        for number in portspec.host_numbers(port):
            taken.setdefault((inst["ship"], port["protocol"], number), []).append(
                (port["host_ip"], inst["name"], port["name"])
            )
