# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dependency view of a selection, as the plan action returns it (deps.yml shows it) and the
``maestro deptree`` command prints it: its services, levels, tree, impact, DOT and critical path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model import deptree
from ..model.selection import followers, plan, services_of
from . import timings

if TYPE_CHECKING:
    from ..model.environment import Environment


def deps_result(env: Environment, names: list[str], dependents: bool = False) -> dict[str, Any]:
    """The view of the instances ``names``; ``dependents``: in stop order (what needs them first)."""
    services = services_of(env, names)
    return dict(
        changed=False,
        environment=env.name,
        instances=names,
        services=services,
        levels=plan(env, names, reverse=dependents),
        followers=followers(env, names, reverse=dependents),
        tree=deptree.tree(env, services),
        impact=deptree.impact(env, services),
        dot=deptree.dot(env, services),
        critical_path=timings.critical(env, names),
    )
