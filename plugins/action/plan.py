# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.plan: the selection, its levels, its dependency tree and its critical path."""

from __future__ import annotations

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import PLAN_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.run.deps import deps_result
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = PLAN_SPEC

    def act(self, args, task_vars):
        env, names = load_and_select(args, self._loader, dependents=args["dependents"])
        result = deps_result(env, names, dependents=args["dependents"])
        if args["dot_file"]:
            with open(args["dot_file"], "w", encoding="utf-8") as handle:
                handle.write(result["dot"])
            result["dot_file"] = args["dot_file"]
        return result
