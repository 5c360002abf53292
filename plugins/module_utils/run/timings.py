# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each service's time in the last start that changed it, kept on this controller, and the critical
path it gives.

A start that succeeded (not in check mode) writes the seconds of each service it changed to
``$XDG_CACHE_HOME/maestro.ng/timings/ENVIRONMENT.json`` (beside the locks), over what earlier starts
wrote: a no-op start, or one of a few services, leaves the other services' times as they were.
``deps`` reads it back to show the chain of services that bounds a start, with the time each link
took. Nothing secret is in it: service names and seconds.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, Optional

from ..model.schedule import critical_path, steps
from .lock import cache_folder, file_name

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import RunResult


def timings_path(environment: str) -> str:
    return os.path.join(cache_folder(), "timings", file_name(environment) + ".json")


def record(environment: str, result: RunResult) -> None:
    """Keep a successful start's seconds per service it changed (its longest step), over the earlier
    ones; a cache cannot fail a run."""
    new: dict[str, float] = {}
    for step in result.get("steps") or []:
        if step["changed"]:
            new[step["service"]] = max(new.get(step["service"], 0.0), step["seconds"])
    if not new:
        return
    last = recorded(environment)
    seconds = dict(last["seconds"] if last else {}, **new)
    path = timings_path(environment)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".new", "w", encoding="utf-8") as handle:
            json.dump({"at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "seconds": seconds}, handle)
        os.replace(path + ".new", path)
    except OSError:
        pass


def recorded(environment: str) -> Optional[dict[str, Any]]:
    """{"at": when, "seconds": {service: seconds}} of the last recorded start, or None."""
    try:
        with open(timings_path(environment), encoding="utf-8") as handle:
            doc = json.load(handle)
        return {"at": str(doc["at"]), "seconds": {str(k): float(v) for k, v in doc["seconds"].items()}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def critical(env: Environment, names: list[str]) -> dict[str, Any]:
    """The critical path of starting ``names``: {"services": the chain, first to last, "seconds":
    {service: seconds} and "total" from the last recorded start (None when not recorded for all of
    them), "recorded_at", and "line", what ``deps`` prints}."""
    run_steps = steps(env, names)
    last = recorded(env.name)
    seconds = last["seconds"] if last else {}
    chain, total = critical_path(run_steps, seconds)
    services = list(dict.fromkeys(run_steps[index].service for index in chain))
    if total is None:
        line = "critical path: %s (no start recorded on this controller yet)" % " → ".join(services)
    else:
        line = "critical path: %s = %.1fs (the start of %s)" % (
            " → ".join("%s %.1fs" % (service, seconds[service]) for service in services),
            total,
            last["at"] if last else "?",
        )
    return {
        "services": services,
        "seconds": {service: seconds[service] for service in services} if total is not None else None,
        "total": None if total is None else round(total, 3),
        "recorded_at": last["at"] if last and total is not None else None,
        "line": line,
    }
