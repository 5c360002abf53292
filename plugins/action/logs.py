# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.logs: one instance's log, its tail, or followed."""

from __future__ import annotations

from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import LOGS_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.run.commands import logs
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load

display = Display()


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = LOGS_SPEC
    FAILURES = (ShipUnreachable,)

    def act(self, args, task_vars):
        env = load(args["env"], self._loader)
        lines = logs(env, args["instance"], tail=args["tail"], follow=args["follow"], show=display.display)
        return dict(changed=False, instance=args["instance"], ship=env.instances[args["instance"]]["ship"], lines=lines)
