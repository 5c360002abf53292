# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: maestro
type: stdout
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.2.0
short_description: Ansible's default screen output, with MaestroNG status tables and raw JSON on request
description:
  - Everything the C(default) stdout callback prints, with the same options, plus what the collection's
    playbooks need to read well in a terminal and in CI logs.
  - >-
    The result of a M(maestro.ng.status) task is shown as an aligned table followed by a summary line
    (C(status: 8 instances on 3 ships: 6 running, 1 stopped, 1 absent; 1 drifted in 0.1s)). States and drift
    are coloured with Ansible's colours (C(running) as ok, stopped as changed, absent as failed, a ship that
    is down as unreachable, drift as a warning), following Ansible's colour rules - none when stdout is not
    a terminal or with E(ANSIBLE_NOCOLOR) or C(NO_COLOR), always with E(ANSIBLE_FORCE_COLOR).
  - >-
    The progress lines and the summary line of M(maestro.ng.orchestrate) (C(start: 8 instances on 3 ships:
    8 created in 2.9s)) are printed by the action itself, coloured the same way, with any stdout callback.
  - A failed M(maestro.ng.status) or M(maestro.ng.orchestrate) task shows only its C(msg), not every
    instance's result, unless run with C(-v).
  - >-
    With the extra variable C(output=json) (C(-e output=json)), standard output carries only JSON - the rows
    of each M(maestro.ng.status) task (a list) and the result of each M(maestro.ng.orchestrate) task (a
    mapping), one document per task - and everything else this callback prints goes to standard error.
  - A task whose C(when) compares the stdout callback setting with C(maestro.ng.maestro) is taken as a
    fallback for other callbacks (the C(status) playbook's C(Show the status)); when it is skipped, it is
    not shown.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - Set as the stdout callback, in C(ansible.cfg) (C(stdout_callback = maestro.ng.maestro) under
    C([defaults])) or in the environment (E(ANSIBLE_STDOUT_CALLBACK=maestro.ng.maestro)).
"""

import json
import sys

from ansible import constants as C
from ansible.plugins.callback.default import CallbackModule as DefaultCallback

from ansible_collections.maestro.ng.plugins.module_utils.run.report import result_document, status_table, status_tone
from ansible_collections.maestro.ng.plugins.plugin_utils.output import colour, paint

STATUS = "maestro.ng.status"
ORCHESTRATE = "maestro.ng.orchestrate"
INSTANCES = "maestro.ng.instances"


def _action(task):
    return getattr(task, "resolved_action", None) or task.action


def _is_fallback(task):
    """A task for other stdout callbacks: its condition names this one."""
    return any("DEFAULT_STDOUT_CALLBACK" in str(c) and "maestro.ng.maestro" in str(c) for c in task.when or [])


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "maestro.ng.maestro"

    def __init__(self):
        super().__init__()
        self._json_out = None  # the real stdout while -e output=json sends the rest to stderr
        self._fallbacks = set()

    # ------------------------------------------------------------------ -e output=json
    def _check_json(self, play):
        if self._json_out is not None or play is None:
            return
        manager = play.get_variable_manager()
        extra = manager.extra_vars if manager is not None else {}
        if str(extra.get("output", "")) == "json":
            # Everything Ansible prints goes through sys.stdout at write time, including
            # the progress lines the action plugins send from their worker: stderr now.
            self._json_out = sys.stdout
            sys.stdout = sys.stderr

    def _emit_json(self, result, failed=False):
        data = result.result
        if self._json_out is None or _action(result.task) not in (STATUS, ORCHESTRATE) or "instances" not in data:
            return
        doc = data["instances"] if _action(result.task) == STATUS else result_document(data, failed)
        self._json_out.write(json.dumps(doc, indent=2, default=str) + "\n")
        self._json_out.flush()

    def v2_playbook_on_start(self, playbook):
        plays = playbook.get_plays()
        self._check_json(plays[0] if plays else None)
        super().v2_playbook_on_start(playbook)

    def v2_playbook_on_play_start(self, play):
        self._check_json(play)
        super().v2_playbook_on_play_start(play)

    def v2_playbook_on_stats(self, stats):
        super().v2_playbook_on_stats(stats)
        if self._json_out is not None:
            sys.stdout.flush()
            sys.stdout = self._json_out

    # ------------------------------------------------------------------ tasks
    def v2_playbook_on_task_start(self, task, is_conditional):
        if _is_fallback(task):
            # No banner now: shown only if it runs after all (the default's lazy banner).
            self._fallbacks.add(task._uuid)
            self._task_type_cache[task._uuid] = "TASK"
            self._last_task_name = task.get_name().strip()
            return
        super().v2_playbook_on_task_start(task, is_conditional)

    def v2_runner_on_skipped(self, result):
        if result.task._uuid in self._fallbacks:
            return
        super().v2_runner_on_skipped(result)

    def _instance_lines(self, result):
        """A line per instance of a maestro.ng.instances result, as a loop's items have them."""
        if self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        for one in result.result.get("instances") or []:
            status = "failed" if one.get("failed") else "changed" if one.get("changed") else "ok"
            if status == "ok" and not self.get_option("display_ok_hosts"):
                continue
            text = "%s: [%s] => (item=%s)" % (status, self.host_label(result), one.get("instance"))
            if self._run_is_verbose(result) or (status == "failed" and one.get("msg")):
                text += " => %s" % self._dump_results(one if self._run_is_verbose(result) else {"msg": one["msg"]})
            colours = {"failed": C.COLOR_ERROR, "changed": C.COLOR_CHANGED, "ok": C.COLOR_OK}
            self._display.display(
                text, color=colours[status], stderr=status == "failed" and self.get_option("display_failed_stderr")
            )

    def v2_runner_on_ok(self, result):
        if _action(result.task) == INSTANCES and "instances" in result.result:
            self._handle_warnings_and_exception(result)
            self._instance_lines(result)
            return
        self._emit_json(result)
        rows = result.result.get("instances") if _action(result.task) == STATUS else None
        summary = result.result.get("summary")
        super().v2_runner_on_ok(result)
        if rows is not None and self._json_out is None:
            if self._last_task_banner != result.task._uuid:  # display_ok_hosts=false: no banner yet
                self._print_task_banner(result.task)
            self._display.display(status_table(rows, paint=paint, hosts=bool(result.result.get("show_hosts"))))
            if summary:
                self._display.display(summary, color=colour(status_tone(rows)))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit_json(result, failed=True)
        data = result.result
        if _action(result.task) == INSTANCES and data.get("instances"):
            self._instance_lines(result)  # the failed ones with their messages: no fatal line repeating them
            self._handle_warnings_and_exception(result)
            if ignore_errors:
                self._display.display("...ignoring", color=C.COLOR_SKIP)
            return
        if (
            _action(result.task) not in (STATUS, ORCHESTRATE)
            or "msg" not in data
            or result.task.loop
            or self._run_is_verbose(result)
        ):
            super().v2_runner_on_failed(result, ignore_errors=ignore_errors)
            return
        # Only the message: every instance's result is in -v and in the registered variable.
        if self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        self._handle_warnings_and_exception(result)
        self._display.display(
            "fatal: [%s]: FAILED! => %s" % (self.host_label(result), self._dump_results({"msg": data["msg"]})),
            color=C.COLOR_ERROR,
            stderr=self.get_option("display_failed_stderr"),
        )
        if ignore_errors:
            self._display.display("...ignoring", color=C.COLOR_SKIP)
