# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run's steps and what each waits for: scheduling by dependency, not by level.

A step is the selected instances of one service at one instance level (a service whose
instances take volumes from each other has several). It may begin once every step it waits
for is done: those of the services its service hard-depends on, transitively (``requires``,
``volumes_from``, ``links``; for stop-like work, those of the services that depend on it), and
the service's own earlier steps. Only steps of the run count, so ``-i`` keeps the order among
the named things. ``wants_info`` gives variables, not order. What a step waits for is its
closure, so a branch of the graph never waits for another branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple, Optional

from . import ordering
from .selection import plan, waits_for

if TYPE_CHECKING:
    from .environment import Environment


class Step(NamedTuple):
    service: str
    instances: tuple[str, ...]  # in order
    after: tuple[int, ...]  # the indexes of the steps it waits for (all earlier in the list)
    level: int  # the instance level (what site.yml's plays go by)


def steps(env: Environment, instances: Iterable[str], reverse: bool = False, ordered: bool = True) -> list[Step]:
    """The steps of a run over ``instances``, each after those it waits for (``ordered=False``:
    none waits, as for ``pull`` and ``clean``)."""
    groups: dict[tuple[str, int], list[str]] = {}
    for part in plan(env, instances, reverse=reverse):
        for name in part["instances"]:
            groups.setdefault((env.instances[name]["service"], part["level"]), []).append(name)
    edges = waits_for(env, reverse)
    result: list[Step] = []
    index_of: dict[str, list[int]] = {}  # service -> its steps so far
    for (service, level), names in groups.items():
        after: list[int] = []
        if ordered:
            for other in sorted(ordering.closure([service], edges) | {service}):
                after.extend(index_of.get(other, ()))
        index_of.setdefault(service, []).append(len(result))
        result.append(Step(service, tuple(names), tuple(sorted(after)), level))
    return result


def critical_path(run_steps: list[Step], seconds: Mapping[str, float]) -> tuple[list[int], Optional[float]]:
    """The chain of steps that bounds the run's time: (their indexes, first to last; the total of
    their ``seconds`` by service, None when a service of the chain has none recorded). Without
    recorded times the longest chain by number of steps."""
    known = all(step.service in seconds for step in run_steps)
    finish: list[float] = []
    before: list[Optional[int]] = []
    for step in run_steps:
        previous = max(step.after, key=lambda i: finish[i], default=None)
        own = seconds.get(step.service, 0.0) if known else 1.0
        finish.append((finish[previous] if previous is not None else 0.0) + own)
        before.append(previous)
    if not run_steps:
        return [], None
    node: Optional[int] = max(range(len(run_steps)), key=lambda i: finish[i])
    chain = []
    while node is not None:
        chain.append(node)
        node = before[node]
    chain.reverse()
    return chain, (finish[chain[-1]] if known else None)
