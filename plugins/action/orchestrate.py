# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of maestro.ng.orchestrate: the whole selection, level by level,
in this process (no module fork per container)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.orchestrate import COMMANDS, Orchestrator
from ansible_collections.maestro.ng.plugins.plugin_utils.common import SELECTION_SPEC, load_and_select

display = Display()

ARGUMENT_SPEC = dict(
    SELECTION_SPEC,
    state={"type": "str", "default": "started", "choices": sorted(COMMANDS)},
    refresh_images={"type": "bool", "default": False},
    only_if_changed={"type": "bool", "default": False},
    step_delay={"type": "float", "default": 0},
    stop_start_delay={"type": "float", "default": 0},
    rolling={"type": "bool", "default": False},
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        state = args["state"]
        try:
            env, names = load_and_select(args, dependents=COMMANDS[state][1])
        except AnsibleError as exc:
            result.update(failed=True, msg=exc.message)
            return result
        orchestrator = Orchestrator(env, check_mode=bool(self._task.check_mode), progress=display.display,
                                    refresh=args["refresh_images"])
        summary = orchestrator.run(state, names, restart_options=args)
        result.update(summary)
        result["environment"] = env.name
        if self._task.diff:
            result["diff"] = [dict(r["diff"], before_header=r["instance"], after_header=r["instance"])
                              for r in summary["instances"] if r.get("diff")]
        return result
