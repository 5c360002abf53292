# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply: the plan file a check-mode run writes (``-e plan=FILE``) and reads back
(``-e apply_plan=FILE``); the orchestrator checks each entry's live state before acting."""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..docker.container import ContainerError

if TYPE_CHECKING:
    from ..model.environment import Environment

PLAN_VERSION = 1
# The live state a plan records per instance; any change of it since refuses the plan.
LIVE_KEYS = ("container_id", "state", "image_id", "started_at", "spec_image_id")


def spec_digest(spec: Mapping[str, Any]) -> str:
    """A short fingerprint of everything the file says about an instance."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def short_id(value: Any) -> Any:
    """A container or image id as its first 12 hex digits; anything else as it is."""
    if isinstance(value, str) and len(value) > 24 and ":" in value[:8]:
        return value.partition(":")[2][:12]
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    return value


def plan_action(command: str, result: Mapping[str, Any]) -> str:
    """create, recreate, restart, start, stop, kill, remove, pull or none: what a
    check-mode ``result`` of ``command`` would do to its instance."""
    if not result.get("changed"):
        return "none"
    actions = " ".join(result.get("actions") or [])
    if command in ("started", "restarted"):
        if result.get("reasons"):
            return "recreate"
        if (result.get("live") or {}).get("state") == "absent" or "would create" in actions:
            return "create"
        if "would stop" in actions:
            return "restart"
        if "would start" in actions:
            return "start"
        return "pull"
    return {"stopped": "stop", "killed": "kill", "absent": "remove", "cleaned": "remove", "pulled": "pull"}[command]


def make_plan(
    env: Environment, command: str, summary: Mapping[str, Any], selection: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """The machine-readable plan of a check-mode run made with record_live=True."""
    failed = [r for r in summary["instances"] if r["failed"] or r.get("skipped")]
    if failed:
        raise ContainerError(
            "cannot write a plan, %d instance(s) failed or were skipped: %s"
            % (len(failed), "; ".join(r.get("msg") or r["instance"] for r in failed))
        )
    return {
        "maestro_plan": PLAN_VERSION,
        "environment": env.name,
        "file": env.file,
        "command": command,
        "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "selection": selection or {},
        "instances": [
            {
                "instance": r["instance"],
                "service": r["service"],
                "ship": r["ship"],
                "action": plan_action(command, r),
                "reasons": r.get("reasons") or [],
                "actions": r.get("actions") or [],
                "live": r.get("live"),
                "spec_digest": r.get("spec_digest"),
            }
            for r in summary["instances"]
        ],
    }


def read_plan(env: Environment, command: str, doc: Any) -> dict[str, dict]:
    """{instance: entry} of a plan document, after checking it fits ``env`` and ``command``."""
    if not isinstance(doc, dict) or doc.get("maestro_plan") != PLAN_VERSION:
        raise ContainerError("not a maestro.ng plan (version %s expected)" % PLAN_VERSION)
    if doc.get("environment") != env.name:
        raise ContainerError("the plan is for environment %r, not %r" % (doc.get("environment"), env.name))
    if doc.get("command") != command:
        raise ContainerError("the plan is for %s, not %s" % (doc.get("command"), command))
    entries = {}
    for entry in doc.get("instances") or []:
        if entry.get("instance") not in env.instances:
            raise ContainerError(
                "the plan names instance %r, which the environment no longer has" % entry.get("instance")
            )
        entries[entry["instance"]] = entry
    return entries
