# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's ``update:`` (an extension of MaestroNG's format): how a change is rolled out to its
instances. How many are replaced at once (a number, or a percentage of the service's instances),
the seconds between two batches, and what a failed batch does: ``rollback`` (every instance of the
service replaced in the run goes back to its previous container), ``pause`` (stop there, keep what
is done) or ``continue``. The default, one instance at a time with rollback, is Swarm's and Nomad's.
MaestroNG 0.8.3 ignores the key: there the same file means no rollout control."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Mapping, Union

from ..defaults import FAILURE_ACTIONS
from ..errors import MaestroError
from . import schema
from .schema import fail

if TYPE_CHECKING:
    from ..records import Update

UPDATE_KEYS = frozenset(("parallelism", "delay", "failure_action"))
DEFAULT_UPDATE: Update = {"parallelism": 1, "delay": 0.0, "failure_action": "rollback"}
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parallelism(value: Any) -> Union[int, str]:
    """A number of instances (at least 1) or a percentage (``"50%"``, above 0 and at most 100), as
    given; raises ValueError saying what is allowed."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str):
        if re.fullmatch(r"\s*[0-9]+\s*", value) and int(value) >= 1:
            return int(value)
        match = _PERCENT.match(value)
        if match and 0 < float(match.group(1)) <= 100:
            return "%s%%" % match.group(1)
    raise ValueError("must be a number of instances (1 or more) or a percentage such as 50%%, got %r" % (value,))


def failure_action(value: Any) -> str:
    """One of FAILURE_ACTIONS; raises ValueError saying which are allowed."""
    if value not in FAILURE_ACTIONS:
        raise ValueError("must be one of %s, got %r" % (", ".join(FAILURE_ACTIONS), value))
    return value


def read(service: Mapping[str, Any], path: tuple) -> Update:
    """The ``update:`` of a service (the defaults for what it leaves out)."""
    raw = schema.get_map(service, "update", path)
    upath = path + ("update",)
    schema.check_keys(raw, UPDATE_KEYS, upath, "update")
    update = dict(DEFAULT_UPDATE)
    if raw.get("parallelism") is not None:
        try:
            update["parallelism"] = parallelism(raw["parallelism"])
        except ValueError as exc:
            fail(str(exc), upath + ("parallelism",), raw, "parallelism")
    update["delay"] = schema.get_number(raw, "delay", upath, default=0.0)
    try:
        update["failure_action"] = failure_action(schema.get_str(raw, "failure_action", upath, default="rollback"))
    except ValueError as exc:
        fail(str(exc), upath + ("failure_action",), raw, "failure_action")
    return update  # type: ignore[return-value]


def overridden(update: Update, options: Mapping[str, Any]) -> Update:
    """``update`` with a run's own choices (the orchestrate options update_parallelism, update_delay,
    update_failure_action) over it; raises MaestroError for a bad parallelism."""
    result: Update = dict(update)  # type: ignore[assignment]
    if options.get("update_parallelism") not in (None, ""):
        try:
            result["parallelism"] = parallelism(options["update_parallelism"])
        except ValueError as exc:
            raise MaestroError(str(exc), path=("update_parallelism",)) from None
    if options.get("update_delay") is not None:
        try:
            delay = float(options["update_delay"])
        except (TypeError, ValueError):
            delay = -1.0
        if not delay >= 0:
            raise MaestroError(
                "must be a number of seconds, 0 or more, got %r" % (options["update_delay"],), path=("update_delay",)
            )
        result["delay"] = delay
    if options.get("update_failure_action"):
        try:
            result["failure_action"] = failure_action(options["update_failure_action"])
        except ValueError as exc:
            raise MaestroError(str(exc), path=("update_failure_action",)) from None
    return result


def batch_size(update: Update, instances: int) -> int:
    """How many of a service's ``instances`` are replaced at once (a percentage rounds up)."""
    value = update["parallelism"]
    if isinstance(value, str):
        value = int(math.ceil(float(value.rstrip("%")) * instances / 100))
    return max(1, min(instances, value))


def batches(names: list[str], size: int) -> list[list[str]]:
    """``names`` cut into batches of ``size``, in order."""
    return [names[i : i + size] for i in range(0, len(names), size)]
