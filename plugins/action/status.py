# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.status: one listing per ship, in parallel."""

from __future__ import annotations

import time

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import STATUS_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.run.report import status_summary, status_table
from ansible_collections.maestro.ng.plugins.module_utils.run.status import status
from ansible_collections.maestro.ng.plugins.plugin_utils.action import MaestroAction
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select


class ActionModule(MaestroAction):
    ARGUMENT_SPEC = STATUS_SPEC

    def act(self, args, task_vars):
        env, names = load_and_select(args)
        started = time.monotonic()
        rows = status(env, names, drift=args["drift"])
        result = dict(
            changed=False,
            environment=env.name,
            instances=rows,
            table=status_table(rows),
            summary=str(status_summary(rows, time.monotonic() - started)),
        )
        down = sorted({r["ship"] for r in rows if r["status"] == "host down"})
        if down:
            result["ships_down"] = down
        drifted = [r["instance"] for r in rows if r.get("drift")]
        if drifted:
            result["drifted"] = drifted
        return result
