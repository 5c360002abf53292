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


def hard_edges(services, instances):
    """The hard edges, computed here only: ``(service -> services it hard-depends on,
    instance -> instances of its own service it takes volumes from or links to)``.

    A service depends on what it ``requires`` and on the services of the instances that
    its instances take volumes from or link to.
    """
    by_service = {name: list(svc["requires"]) for name, svc in services.items()}
    by_instance = {}
    for name, inst in instances.items():
        by_instance[name] = []
        for target in inst["volumes_from"] + list(inst["links"]):
            other = instances[target]["service"]
            if other == inst["service"]:
                by_instance[name].append(target)
            elif other not in by_service[inst["service"]]:
                by_service[inst["service"]].append(other)
    return by_service, by_instance


def find_cycle(nodes, edges):
    """First cycle in ``edges`` (node -> ordered successors), as a node list, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for succ in edges.get(node, ()):
            if state.get(succ) == 1:
                return stack[stack.index(succ):] + [succ]
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


def with_soft_edges(nodes, hard, soft):
    """Hard edges plus every soft edge that does not close a cycle (in file order)."""
    edges = {node: list(hard.get(node, ())) for node in nodes}
    for node in nodes:
        for succ in soft.get(node, ()):
            if succ != node and succ not in edges[node] and not _reaches(edges, succ, node):
                edges[node].append(succ)
    return edges


def levels(nodes, edges):
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


def closure(start, edges):
    """Everything reachable from the ``start`` nodes (not including them unless reached)."""
    seen, todo = set(), list(start)
    while todo:
        for succ in edges.get(todo.pop(), ()):
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    return seen


def reverse(edges):
    result = {}
    for node, succs in edges.items():
        result.setdefault(node, [])
        for succ in succs:
            result.setdefault(succ, []).append(node)
    return result
