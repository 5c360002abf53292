# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dependency views of an environment: a text tree, the impact of a change, DOT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from . import selection

if TYPE_CHECKING:
    from .environment import Environment


def tree(env: Environment, services: Iterable[str]) -> str:
    """Each service with what it requires (and wants info from), indented."""
    lines = []

    def walk(name, depth, seen):
        svc = env.services[name]
        mark = " (omit)" if svc["omit"] else ""
        lines.append(
            "%s%s [%d instance%s]%s"
            % (
                "  " * depth + ("└─ " if depth else ""),
                name,
                len(svc["instances"]),
                "" if len(svc["instances"]) == 1 else "s",
                mark,
            )
        )
        if name in seen:
            return
        for dep in svc["requires"]:
            walk(dep, depth + 1, seen | {name})
        for dep in svc["wants_info"]:
            lines.append("%s└─ %s (wants info)" % ("  " * (depth + 1), dep))

    for name in services:
        walk(name, 0, frozenset())
    return "\n".join(lines)


def impact(env: Environment, services: Iterable[str]) -> dict[str, list[str]]:
    """service -> the services a change to it reaches: itself and everything that hard-depends
    on it (``requires``, ``volumes_from``, ``links``), the same edges and the same selection a
    stop-like command makes for it (selection.select with dependents)."""
    result = {}
    for name in services:
        reached = {
            env.instances[i]["service"] for i in selection.select(env, [name], dependencies=False, dependents=True)
        }
        result[name] = [s for s in env.services if s in reached]
    return result


def dot(env: Environment, services: Iterable[str]) -> str:
    """Graphviz DOT of the selected services: solid requires, dashed wants_info."""
    lines = ["digraph %s {" % _quote(env.name), "  rankdir=LR;", "  node [shape=box];"]
    for name in services:
        svc = env.services[name]
        lines.append("  %s [label=%s];" % (_quote(name), _quote("%s\\n%d instance(s)" % (name, len(svc["instances"])))))
        for dep in svc["requires"]:
            lines.append("  %s -> %s;" % (_quote(name), _quote(dep)))
        for dep in svc["wants_info"]:
            lines.append("  %s -> %s [style=dashed];" % (_quote(name), _quote(dep)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text):
    return '"%s"' % str(text).replace('"', '\\"')
