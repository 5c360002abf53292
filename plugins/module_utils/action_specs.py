# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the controller-side commands (orchestrate, status, plan, logs).

Their action plugins validate their options with these; their stub modules (which
only carry the documentation) declare the same specs, so ansible-test's
validate-modules checks the documentation against what the plugins accept.
Kept free of other imports but command_specs.py and defaults.py (themselves free of imports):
a stub module bundles nothing else.
"""

from __future__ import annotations

from typing import Any

from .command_specs import COMMANDS
from .defaults import FAILURE_ACTIONS, SHIP_CONCURRENCY

# Selection options every orchestrating command accepts (doc fragment maestro.ng.selection).
SELECTION_SPEC: dict[str, dict[str, Any]] = {
    "env": {"type": "str", "required": True},
    "services": {"type": "list", "elements": "str", "default": []},
    "with_dependencies": {"type": "bool", "default": True},
    "ships": {"type": "list", "elements": "str", "default": []},
}

ORCHESTRATE_SPEC: dict[str, dict[str, Any]] = dict(
    SELECTION_SPEC,
    state={"type": "str", "default": "started", "choices": sorted(COMMANDS)},
    refresh_images={"type": "bool", "default": False},
    only_if_changed={"type": "bool", "default": False},
    step_delay={"type": "float", "default": 0},
    stop_start_delay={"type": "float", "default": 0},
    rolling={"type": "bool", "default": False},
    keep_going={"type": "bool", "default": False},
    start_grace={"type": "float", "default": 0},
    wait_healthy={"type": "bool", "default": True},
    rerun_oneshots={"type": "bool", "default": False},
    plan={"type": "path"},
    apply_plan={"type": "path"},
    lock_timeout={"type": "float", "default": 300},
    adopt={"type": "bool", "default": False},
    update_parallelism={"type": "str"},
    update_delay={"type": "float"},
    update_failure_action={"type": "str", "choices": list(FAILURE_ACTIONS)},
    concurrency={"type": "int"},
    ship_concurrency={"type": "int", "default": SHIP_CONCURRENCY},
)

STATUS_SPEC = dict(
    SELECTION_SPEC,
    drift={"type": "bool", "default": True},
    ports={"type": "bool", "default": False},
    show_hosts={"type": "bool", "default": False},
)

PLAN_SPEC = dict(SELECTION_SPEC, dependents={"type": "bool", "default": False}, dot_file={"type": "path"})

LOGS_SPEC = {
    "env": {"type": "str", "required": True},
    "instance": {"type": "str", "required": True},
    "tail": {"type": "int", "default": 100},
    "follow": {"type": "bool", "default": False},
}

# maestro.ng.lab (playbooks/lab.yml). No default for first: an existing lab keeps its numbers,
# a new one starts at module_utils.lab.rewrite.DEFAULT_FIRST.
LAB_SPEC = {
    "env": {"type": "path", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "first": {"type": "int"},
    "script": {"type": "path"},
}
