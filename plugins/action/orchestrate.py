# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.orchestrate: the whole selection, each service once its
dependencies are done, in this process (no module fork per container). The run itself is module_utils.commands."""

from __future__ import annotations

import os

from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.command_specs import COMMANDS
from ansible_collections.maestro.ng.plugins.module_utils.run.commands import orchestrate
from ansible_collections.maestro.ng.plugins.module_utils.run.interrupt import Speaker, controller_stderr
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select
from ansible_collections.maestro.ng.plugins.plugin_utils.output import say

display = Display()


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = ORCHESTRATE_SPEC

    def act(self, args, task_vars):
        env, names = load_and_select(args, self._loader, dependents=COMMANDS[args["state"]].reverse)
        # Once interrupted, ansible-playbook no longer reads this worker's display: its stderr does.
        speaker = Speaker(lambda line: say(display, line), fd=controller_stderr())
        try:
            # The lock is held for ansible-playbook (this worker's parent), the run's process.
            return orchestrate(
                env,
                names,
                args,
                check_mode=bool(self._task.check_mode),
                progress=speaker,
                warn=display.warning,
                diff=bool(self._task.diff),
                lock_owner=os.getppid(),
                on_interrupt=speaker.go_direct,
            )
        finally:
            speaker.close()
