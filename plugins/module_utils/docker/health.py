# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's health of a container (its HEALTHCHECK): whether an instance's readiness waits for it, for
how long, and the wait itself, which ends when Docker says ``healthy`` or ``unhealthy``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..errors import ContainerError
from .desired import HEALTHCHECK_FIELDS

if TYPE_CHECKING:
    from ..records import Healthcheck

# Docker's defaults when a healthcheck leaves a timing out (seconds).
DEFAULT_SECONDS = {"interval": 30.0, "timeout": 30.0, "start_period": 0.0}
DEFAULT_RETRIES = 3
MARGIN = 10.0  # seconds beyond the worst case the healthcheck allows
POLL = 0.25  # seconds between two reads of the container's health
LAST_PROBES = 3  # probe outputs a failure shows


def _image_check(image: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    return (((image or {}).get("Config") or {}).get("Healthcheck")) or {}


def gates(check: Optional[Healthcheck], image: Optional[Mapping[str, Any]]) -> bool:
    """Whether a container of ``check`` (its spec's healthcheck) made from ``image`` (its inspect) is
    ready only once healthy: it sets a test, or takes the image's, which has one."""
    if not check:
        return False
    test = check.get("test") or _image_check(image).get("Test") or []
    return bool(test) and test[0] != "NONE"


def wait_seconds(check: Healthcheck, image: Optional[Mapping[str, Any]]) -> float:
    """How long a container may take to turn healthy: its start period, then every retry failing
    (each an interval and a timeout), with the image's timings where the file gives none."""
    own = _image_check(image)

    def seconds(key):
        value = check.get(key) or own.get(HEALTHCHECK_FIELDS[key]) or 0
        return value / 10**9 if value else DEFAULT_SECONDS[key]

    retries = check.get("retries") or own.get("Retries") or DEFAULT_RETRIES
    return seconds("start_period") + (retries + 1) * (seconds("interval") + seconds("timeout")) + MARGIN


def wait_healthy(
    client: Any, container_id: str, name: str, check: Healthcheck, image: Optional[Mapping[str, Any]]
) -> dict[str, Any]:
    """Read the container until Docker says it is healthy, and return that inspect (also when it no
    longer runs: the caller says why); raise ContainerError, with its last probes' output, when it
    turns unhealthy or is not healthy in time."""
    bound = wait_seconds(check, image)
    deadline = time.monotonic() + bound
    while True:
        inspect = client.inspect_container(container_id)
        state = inspect.get("State") or {}
        health = state.get("Health") or {}
        if not state.get("Running") or health.get("Status") == "healthy":
            return inspect
        if health.get("Status") == "unhealthy" or time.monotonic() > deadline:
            probes = [
                ": ".join(filter(None, ("exit %s" % probe.get("ExitCode"), (probe.get("Output") or "").strip()[-200:])))
                for probe in (health.get("Log") or [])[-LAST_PROBES:]
            ]
            why = "unhealthy" if health.get("Status") == "unhealthy" else "not healthy within %.0fs" % bound
            raise ContainerError(
                "%s: %s (its healthcheck's last probes: %s)" % (name, why, "; ".join(probes) or "none yet")
            )
        time.sleep(POLL)
