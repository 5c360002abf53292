# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which instances a command acts on, and in which order.

Names select services or instances (exact names or fnmatch patterns). Start-like
commands add what the selection depends on (``requires``, ``volumes_from``,
``links``); stop-like commands add what depends on it. With no names, every
service not marked ``omit``. Ships filter the result by fnmatch patterns.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ..errors import MaestroError
from . import ordering

if TYPE_CHECKING:
    from ..records import Level
    from .environment import Environment


def _as_list(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    # Ansible splits "a, b" on commas without trimming: trim here.
    return [str(part).strip() for part in value if str(part).strip()]


def select_options(env: Environment, options: Mapping[str, Any], dependents: bool = False) -> list[str]:
    """``select`` from a command's options (services, ships, with_dependencies): the
    dependencies of start-like commands, the dependents of stop-like ones."""
    follow = options.get("with_dependencies", True)
    return select(
        env,
        names=options.get("services"),
        dependencies=follow and not dependents,
        dependents=dependents and follow,
        ships=options.get("ships"),
    )


def hard_edges(env: Environment) -> dict[str, list[str]]:
    """service -> services it hard-depends on (ordering.hard_edges)."""
    return ordering.hard_edges(env.services, env.instances)[0]


def select(
    env: Environment,
    names: Optional[Iterable[str]] = None,
    dependencies: bool = True,
    dependents: bool = False,
    ships: Optional[Iterable[str]] = None,
) -> list[str]:
    """Instance names to act on, in dependency order (reverse it for stop-like work).

    ``dependencies``: add what the selection needs (start-like commands).
    ``dependents``: add what needs the selection (stop-like commands).
    """
    names = _as_list(names)
    ship_patterns = _as_list(ships)
    for pattern in ship_patterns:
        if not fnmatch.filter(env.ships, pattern):
            raise MaestroError(
                "no ship matches %r (known: %s)" % (pattern, ", ".join(sorted(env.ships))), path=("ships",)
            )
    chosen = set()
    if not names:
        chosen = {i for i, inst in env.instances.items() if not env.services[inst["service"]]["omit"]}
    for name in names:
        matched = named(env, name)
        if not matched:
            raise MaestroError("no service or instance matches %r" % name, path=("services",))
        chosen.update(matched)

    edges = hard_edges(env)
    if dependents:
        edges = ordering.reverse(edges)
    if dependencies or dependents:
        services = {env.instances[i]["service"] for i in chosen}
        for service in ordering.closure(services, edges):
            chosen.update(env.services[service]["instances"])
        # Same-service volumes_from/links: follow them too.
        todo = list(chosen)
        while todo and not dependents:
            for target in env.instances[todo.pop()]["volumes_from"]:
                if target not in chosen:
                    chosen.add(target)
                    todo.append(target)

    if ship_patterns:
        chosen = {i for i in chosen if any(fnmatch.fnmatchcase(env.instances[i]["ship"], p) for p in ship_patterns)}
    return [name for name in env.instances if name in chosen]


def named(env: Environment, name: str) -> list[str]:
    """The instances ``name`` stands for: a service's, an instance, or those a pattern matches
    (fnmatch, over instance and service names); none when it names nothing."""
    if name in env.services:
        return list(env.services[name]["instances"])
    if name in env.instances:
        return [name]
    matched = fnmatch.filter(env.instances, name)
    for service in fnmatch.filter(env.services, name):
        matched.extend(env.services[service]["instances"])
    return matched


def services_of(env: Environment, instances: Iterable[str]) -> list[str]:
    """The services of ``instances``, each once, in the instances' order."""
    return list(dict.fromkeys(env.instances[name]["service"] for name in instances))


def plan(env: Environment, instances: Iterable[str], reverse: bool = False) -> list[Level]:
    """Levels restricted to ``instances``: [{level, services, instances}] in run order."""
    wanted = set(instances)
    levels: list[Level] = []
    for level in env.levels:
        members = [i for i in level["instances"] if i in wanted]
        if members:
            levels.append({"level": level["level"], "services": services_of(env, members), "instances": members})
    return levels[::-1] if reverse else levels


def waits_for(env: Environment, reverse: bool = False) -> dict[str, list[str]]:
    """{service: the services it waits for}: its hard dependencies (``reverse``, for stop-like
    work: its hard dependents). The keep_going rule: once a service failed or was lost, every
    service that waits for it, transitively (ordering.closure), is skipped."""
    edges = hard_edges(env)
    return ordering.reverse(edges) if reverse else edges


def followers(env: Environment, instances: list[str], reverse: bool = False) -> dict[str, list[str]]:
    """{instance: the ``instances`` that must not run once it failed or was lost} for ``keep_going``:
    those of the services that depend on its service (``reverse``, for stop-like work: that it
    depends on), transitively; the orchestrator's skip rule, for callers that converge level by
    level themselves (playbooks/site.yml)."""
    edges = ordering.reverse(waits_for(env, reverse))
    service_of = {name: env.instances[name]["service"] for name in instances}
    after = {service: ordering.closure([service], edges) for service in set(service_of.values())}
    return {name: [other for other in instances if service_of[other] in after[service_of[name]]] for name in instances}
