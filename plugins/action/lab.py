# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.lab: local lab ships for an environment file, and the
file rewritten to use them (FILE -> FILE.lab.yaml), or all of that removed again
(module_utils/lab/manage.py)."""

from __future__ import annotations

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import LAB_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.lab import daemons, manage
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = LAB_SPEC
    FAILURES = (daemons.LabError, ShipUnreachable)

    def act(self, args, task_vars):
        if args["env"] == "-":
            raise MaestroError("the lab needs an environment file, not standard input")
        # Plain types: the values are written into the lab file (YAML), Ansible's tagged ones are not.
        env_path = str(args["env"])
        script = str(args["script"] or daemons.DEFAULT_SCRIPT)
        check_mode = bool(self._task.check_mode)
        if args["state"] == "absent":
            return manage.down(env_path, script, check_mode)
        first = None if args["first"] is None else int(args["first"])
        return manage.up(env_path, first, script, check_mode)
