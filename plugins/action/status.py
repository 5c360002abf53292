# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.status: one listing per ship, in parallel."""

from __future__ import annotations

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import STATUS_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.run.status import status_result
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = STATUS_SPEC

    def act(self, args, task_vars):
        env, names = load_and_select(args, self._loader)
        return status_result(env, names, drift=args["drift"], ports=args["ports"], hosts=args["show_hosts"])
