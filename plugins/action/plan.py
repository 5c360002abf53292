# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.plan: the selection, its levels, its dependency tree and its critical path."""

from __future__ import annotations

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import PLAN_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.model import deptree
from ansible_collections.maestro.ng.plugins.module_utils.model.selection import followers, plan, services_of
from ansible_collections.maestro.ng.plugins.module_utils.run import timings
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = PLAN_SPEC

    def act(self, args, task_vars):
        env, names = load_and_select(args, dependents=args["dependents"])
        services = services_of(env, names)
        result = dict(
            changed=False,
            environment=env.name,
            instances=names,
            services=services,
            levels=plan(env, names, reverse=args["dependents"]),
            followers=followers(env, names, reverse=args["dependents"]),
            tree=deptree.tree(env, services),
            impact=deptree.impact(env, services),
            dot=deptree.dot(env, services),
            critical_path=timings.critical(env, names),
        )
        if args["dot_file"]:
            with open(args["dot_file"], "w", encoding="utf-8") as handle:
                handle.write(result["dot"])
            result["dot_file"] = args["dot_file"]
        return result
