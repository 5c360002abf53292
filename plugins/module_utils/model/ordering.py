# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dependency order: services and instances into levels that can start together.

Hard edges (``requires``, ``volumes_from``, ``links``) must form no cycle; a cycle is
reported as ``a → b → c → a``. ``wants_info`` is a soft edge: it orders the
services when it can, and is dropped where it would close a cycle (MaestroNG lets
two services want each other's information).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Optional

from .schema import fail

if TYPE_CHECKING:
    from ..records import InstanceSpec, Level, Service
    from .drafts import Drafts


def hard_edges(
    services: Mapping[str, Service], instances: Mapping[str, InstanceSpec]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The hard edges, computed here only: ``(service -> services it hard-depends on,
    instance -> instances of its own service it takes volumes from or links to)``.

    A service depends on what it ``requires`` and on the services of the instances that
    its instances take volumes from or link to.
    """
    by_service = {name: list(svc["requires"]) for name, svc in services.items()}
    by_instance: dict[str, list[str]] = {}
    for name, inst in instances.items():
        by_instance[name] = []
        for target in inst["volumes_from"] + list(inst["links"]):
            other = instances[target]["service"]
            if other == inst["service"]:
                by_instance[name].append(target)
            elif other not in by_service[inst["service"]]:
                by_service[inst["service"]].append(other)
    return by_service, by_instance


def find_cycle(nodes: Iterable[str], edges: Mapping[str, Iterable[str]]) -> Optional[list[str]]:
    """First cycle in ``edges`` (node -> ordered successors), as a node list, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for succ in edges.get(node, ()):
            if state.get(succ) == 1:
                return stack[stack.index(succ) :] + [succ]
            if succ not in state:
                found = visit(succ)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in nodes:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _reaches(edges, start, goal):
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def with_soft_edges(
    nodes: Iterable[str], hard: Mapping[str, list[str]], soft: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """Hard edges plus every soft edge that does not close a cycle (in file order)."""
    edges = {node: list(hard.get(node, ())) for node in nodes}
    for node in nodes:
        for succ in soft.get(node, ()):
            if succ != node and succ not in edges[node] and not _reaches(edges, succ, node):
                edges[node].append(succ)
    return edges


def levels(nodes: Iterable[str], edges: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Longest-path layering of an acyclic graph: node -> level (0 = no dependencies)."""
    level = {}

    def depth(node):
        if node not in level:
            level[node] = -1  # guards against a cycle slipping through
            level[node] = 1 + max((depth(s) for s in edges.get(node, ())), default=-1)
        return level[node]

    for node in nodes:
        depth(node)
    return level


def closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """Everything reachable from the ``start`` nodes (not including them unless reached)."""
    seen, todo = set(), list(start)
    while todo:
        for succ in edges.get(todo.pop(), ()):
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    return seen


def reverse(edges: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for node, succs in edges.items():
        result.setdefault(node, [])
        for succ in succs:
            result.setdefault(succ, []).append(node)
    return result


def order(
    services: Mapping[str, Service], instances: Mapping[str, InstanceSpec], drafts: Drafts
) -> tuple[dict[str, int], list[Level]]:
    """The environment's order: (service -> its level, [{level, services, instances}]) with
    each instance's ``level`` set, and each service's (its first instance's); a hard cycle fails located at its first service or instance.

    Instances take their service's level, then, within a service, come after what they take
    volumes from or link to. Ties keep the file's order of services, then instance names.
    """
    names = list(services)
    hard, inst_edges = hard_edges(services, instances)
    cycle = find_cycle(names, hard)
    if cycle:
        service_draft = drafts.services[cycle[0]]
        key = "requires" if cycle[1] in services[cycle[0]]["requires"] else "instances"
        fail("dependency cycle: %s" % " → ".join(cycle), service_draft.path + (key,), service_draft.raw, key)
    cycle = find_cycle(list(instances), inst_edges)
    if cycle:
        draft = drafts.instances[cycle[0]]
        fail("volumes_from/links cycle: %s" % " → ".join(cycle), draft.path, draft.raw)
    edges = with_soft_edges(names, hard, {n: s["wants_info"] for n, s in services.items()})
    service_level = levels(names, edges)
    for name, deps in inst_edges.items():
        for dep_service in edges[instances[name]["service"]]:
            deps.extend(services[dep_service]["instances"])
    inst_level = levels(list(instances), inst_edges)
    for name, inst in instances.items():
        inst["level"] = inst_level[name]
    for svc in services.values():
        svc["level"] = min(inst_level[name] for name in svc["instances"])
    result: list[Level] = []
    for name in sorted(instances, key=lambda n: (inst_level[n], drafts.services[instances[n]["service"]].index, n)):
        level = inst_level[name]
        while len(result) <= level:
            result.append({"level": len(result), "services": [], "instances": []})
        entry = result[level]
        if instances[name]["service"] not in entry["services"]:
            entry["services"].append(instances[name]["service"])
        entry["instances"].append(name)
    return service_level, [lvl for lvl in result if lvl["instances"]]
