# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of maestro.ng.orchestrate: the whole selection, level by level,
in this process (no module fork per container)."""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.audit import audited
from ansible_collections.maestro.ng.plugins.module_utils.container import ContainerError
from ansible_collections.maestro.ng.plugins.module_utils.orchestrate import COMMANDS, Orchestrator
from ansible_collections.maestro.ng.plugins.module_utils.plans import make_plan, read_plan
from ansible_collections.maestro.ng.plugins.module_utils.run_lock import EnvironmentLock, LockTimeout
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load_and_select
from ansible_collections.maestro.ng.plugins.plugin_utils.interrupt import Speaker, interruptible
from ansible_collections.maestro.ng.plugins.plugin_utils.output import say

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ORCHESTRATE_SPEC)[1]
        state = args["state"]
        try:
            env, names = load_and_select(args, dependents=COMMANDS[state][1])
        except AnsibleError as exc:
            result.update(failed=True, msg=exc.message)
            return result
        check_mode = bool(self._task.check_mode)
        if args["plan"] and args["apply_plan"]:
            return dict(result, failed=True, msg="plan and apply_plan exclude each other")
        if args["plan"] and not check_mode:
            return dict(result, failed=True, msg="plan=FILE writes what a --check run would do: add --check")
        speaker = Speaker(lambda line: say(display, line))
        orchestrator = Orchestrator(env, check_mode=check_mode, progress=speaker,
                                    refresh=args["refresh_images"], keep_going=args["keep_going"],
                                    record_live=bool(args["plan"]), start_grace=args["start_grace"])

        def interrupted(signal_name):
            if not orchestrator.interrupted:
                speaker.direct = True
                speaker("%s: finishing the containers in progress, starting no new ones" % signal_name)
            orchestrator.interrupt(signal_name)

        # A changing run holds the environment's lock on this controller (check mode only reads).
        lock = None if check_mode else EnvironmentLock(env.name, timeout=args["lock_timeout"], owner=os.getppid(),
                                                       on_wait=speaker)
        try:
            with interruptible(interrupted):
                if not lock or lock.acquire(cancelled=lambda: orchestrator.interrupted):
                    return self._run_locked(result, args, env, names, orchestrator, check_mode)
                return dict(result, failed=True, interrupted=orchestrator.interrupted,
                            msg="interrupted (%s) before it began: nothing done" % orchestrator.interrupted)
        except LockTimeout as exc:
            return dict(result, failed=True, msg=str(exc))
        finally:
            if lock:
                lock.release()
            if orchestrator.interrupted:
                speaker(result.get("msg") or "interrupted (%s)" % orchestrator.interrupted)
            speaker.close()

    def _run_locked(self, result, args, env, names, orchestrator, check_mode):
        state = args["state"]
        planned = None
        if args["apply_plan"]:
            try:
                with open(args["apply_plan"], encoding="utf-8") as handle:
                    planned = read_plan(env, state, json.load(handle))
            except (OSError, ValueError, ContainerError) as exc:
                return dict(result, failed=True, msg="plan %s: %s" % (args["apply_plan"], exc))
            moved = orchestrator.verify_plan(planned)
            if moved:
                return dict(result, failed=True, changed=False, moved=moved,
                            msg="plan %s refused, nothing was changed: the live state moved since it was made: %s"
                                % (args["apply_plan"], "; ".join(moved)))
            names = list(planned)
        summary = audited(env, state, names, lambda: orchestrator.run(state, names, restart_options=args, planned=planned),
                          check_mode=check_mode, warn=display.warning)
        result.update(summary)
        if args["plan"]:
            selection = {key: args[key] for key in ("services", "ships", "with_dependencies")}
            try:
                doc = make_plan(env, state, summary, selection=selection)
            except ContainerError as exc:
                return dict(result, failed=True, msg=str(exc))
            tmp_path = args["plan"] + ".tmp"
            with open(tmp_path, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=1)
            os.replace(tmp_path, args["plan"])
            result["plan"] = args["plan"]
            counts = {}
            for entry in doc["instances"]:
                counts[entry["action"]] = counts.get(entry["action"], 0) + 1
            display.display("plan written to %s: %s" % (args["plan"], ", ".join(
                "%d %s" % (n, action) for action, n in sorted(counts.items()))))
        result["environment"] = env.name
        if self._task.diff:
            result["diff"] = [dict(r["diff"], before_header=r["instance"], after_header=r["instance"])
                              for r in summary["instances"] if r.get("diff")]
        return result
