# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply: the plan file a check-mode run writes (``-e plan=FILE``) and reads back
(``-e apply_plan=FILE``); the orchestrator checks each entry's live state before acting."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..docker.client import NotFound, image_id, short_id
from ..docker.container import state_of
from ..errors import ContainerError
from ..model.vault import DIGESTS, fingerprint

if TYPE_CHECKING:
    from docker import APIClient

    from ..model.environment import Environment
    from ..records import InstanceResult, InstanceSpec, LiveState, PlanEntry, RunResult
    from .runner import Action

# Format 2: a replacement is "replace", with its rollout batch and the volumes it keeps.
PLAN_VERSION = 2
# The live state a plan records per instance; any change of it since refuses the plan.
LIVE_KEYS = ("container_id", "state", "image_id", "started_at", "spec_image_id")


def spec_digest(spec: InstanceSpec) -> str:
    """A short fingerprint of everything the file says about an instance, its secrets' digests in their place."""
    return fingerprint(json.dumps({k: v for k, v in spec.items() if k != DIGESTS}, sort_keys=True, default=str), spec)


def plan_action(command: str, result: InstanceResult) -> str:
    """create, replace, restart, start, stop, kill, remove, pull or none: what a
    check-mode ``result`` of ``command`` would do to its instance."""
    if not result.get("changed"):
        return "none"
    actions = " ".join(result.get("actions") or [])
    if command in ("started", "restarted"):
        if result.get("reasons"):
            return "replace"
        live = result.get("live")
        if (live is not None and live["state"] == "absent") or "would create" in actions:
            return "create"
        if "would stop" in actions:
            return "restart"
        if "would start" in actions:
            return "start"
        return "pull"
    return {"stopped": "stop", "killed": "kill", "absent": "remove", "cleaned": "remove", "pulled": "pull"}[command]


def make_plan(
    env: Environment, command: str, summary: RunResult, selection: Optional[Mapping[str, Any]] = None
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
                "rollout": r.get("rollout"),
                "keeps": r.get("kept") or [],
                "live": r.get("live"),
                "spec_digest": r.get("spec_digest"),
            }
            for r in summary["instances"]
        ],
    }


def read_plan(env: Environment, command: str, doc: Any) -> dict[str, PlanEntry]:
    """{instance: entry} of a plan document, after checking it fits ``env`` and ``command``."""
    if isinstance(doc, dict) and isinstance(doc.get("maestro_plan"), int) and doc["maestro_plan"] < PLAN_VERSION:
        raise ContainerError(
            "a plan of format %d, made by an older maestro.ng (this one reads format %d): make it again with "
            "--check -e plan=FILE" % (doc["maestro_plan"], PLAN_VERSION)
        )
    if not isinstance(doc, dict) or doc.get("maestro_plan") != PLAN_VERSION:
        raise ContainerError("not a maestro.ng plan (version %s expected)" % PLAN_VERSION)
    if doc.get("environment") != env.name:
        raise ContainerError("the plan is for environment %r, not %r" % (doc.get("environment"), env.name))
    if doc.get("command") != command:
        raise ContainerError("the plan is for %s, not %s" % (doc.get("command"), command))
    listed = doc.get("instances") or []
    if not isinstance(listed, list) or not all(isinstance(e, dict) and e.get("action") for e in listed):
        raise ContainerError("not a maestro.ng plan: instances must be a list of entries with an action")
    entries = {}
    for entry in listed:
        if entry.get("instance") not in env.instances:
            raise ContainerError(
                "the plan names instance %r, which the environment no longer has" % entry.get("instance")
            )
        entries[entry["instance"]] = entry
    return entries


# ---------------------------------------------------------------------------------- applying
def live_state(client: APIClient, spec: InstanceSpec) -> LiveState:
    """What a plan records of an instance: its container and the id of its image on the ship."""
    try:
        container = client.inspect_container(spec["name"])
    except NotFound:
        container = None
    return {
        "container_id": container["Id"] if container else None,
        "state": state_of(container),
        "image_id": container.get("Image") if container else None,
        "started_at": (container.get("State") or {}).get("StartedAt") if container else None,
        "spec_image_id": image_id(client, spec["image"]),
    }


def moved(client: APIClient, spec: InstanceSpec, entry: PlanEntry) -> list[str]:
    """Why the live state of ``spec``'s instance no longer is the one its plan ``entry``
    was made from (a list of texts; empty = unchanged)."""
    why = []
    if entry.get("spec_digest") != spec_digest(spec):
        why.append("its settings in the environment file changed")
    live: dict[str, Any] = dict(live_state(client, spec))
    then: dict[str, Any] = dict(entry.get("live") or {})
    for key in LIVE_KEYS:
        if key == "spec_image_id" and entry.get("live") and then.get(key) is None and entry.get("action") != "none":
            continue  # the image was missing: the run pulls it first, as the plan says it would
        if live.get(key) != then.get(key):
            why.append("%s changed (%s -> %s)" % (key, short_id(then.get(key)), short_id(live.get(key))))
    return why


def refusals(
    entries: Mapping[str, PlanEntry], client_of: Callable[[str], Any], run_each: Callable[[list[str], Action], list]
) -> list[str]:
    """["instance: why"] for every planned instance whose live state moved (``run_each``: in parallel)."""

    def check(spec: InstanceSpec) -> InstanceResult:
        why = moved(client_of(spec["ship"]), spec, entries[spec["name"]])
        if why:
            raise ContainerError("%s: %s" % (spec["name"], ", ".join(why)))
        return {}

    return [r["msg"] for r in run_each(list(entries), check) if r["failed"]]


def guarded(action: Action, planned: Mapping[str, PlanEntry], client_of: Callable[[str], Any]) -> Action:
    """``action`` as a plan allows it: nothing where the plan says none, and a refusal for an
    instance whose live state moved since the plan was made."""

    def guard(spec: InstanceSpec) -> InstanceResult:
        entry = planned[spec["name"]]
        if entry["action"] == "none":
            return {"changed": False, "actions": ["planned: nothing to do"]}
        why = moved(client_of(spec["ship"]), spec, entry)
        if why:
            raise ContainerError("%s: refused, moved since the plan was made: %s" % (spec["name"], ", ".join(why)))
        return action(spec)

    return guard
