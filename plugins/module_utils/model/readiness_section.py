# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's or an instance's ``healthcheck:`` and a service's ``oneshot:`` (extensions of MaestroNG's
format): how a container shows it is ready. The healthcheck, in Compose's
forms: ``test`` (``[CMD, ...]``, ``[CMD-SHELL, "..."]``, a string run by the shell, or ``[NONE]``),
``interval``, ``timeout``, ``start_period``, ``start_interval`` (Compose's durations: ``1m30s``,
``500ms``, or seconds as a number), ``retries`` and ``disable: true``; or ``healthcheck: image``: the
image's own HEALTHCHECK, which Docker runs anyway, gates readiness too. A container that has one is
ready when Docker says it is ``healthy``. An instance's ``healthcheck`` replaces its service's. A file
without the key means what it meant before: nothing is set, and nothing waits for health. MaestroNG
0.8.3 ignores the key."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..defaults import ONESHOT_TIMEOUT
from . import schema
from .schema import fail

if TYPE_CHECKING:
    from ..records import Healthcheck

HEALTHCHECK_KEYS = frozenset(("test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"))
DURATIONS = ("interval", "timeout", "start_period", "start_interval")
# A list test's first word -> (the fewest words, the most (None: no bound), what follows it).
TEST_KINDS = {"CMD": (2, None, "a command"), "CMD-SHELL": (2, 2, "one command line"), "NONE": (1, 1, "nothing more")}
_MIN_NS = 1_000_000  # 1ms: the daemon refuses a shorter non-zero duration
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


def duration_ns(value: Any) -> int:
    """Nanoseconds of a Compose (Go) duration (``1m30s``, ``500ms``) or a number of seconds; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(value)
        return int(round(value * 10**9))
    text = str(value).strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return int(round(float(text) * 10**9))
    parts = _PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(value)
    return int(round(sum(float(number) * _UNITS[unit] for number, unit in parts)))


def read(parent: Mapping[str, Any], path: tuple) -> Optional[Healthcheck]:
    """The ``healthcheck`` of a service or an instance (None when it has none)."""
    if parent.get("healthcheck") is None:
        return None
    value = parent["healthcheck"]
    hpath = path + ("healthcheck",)
    if value == "image":
        return {"image": True}
    if not isinstance(value, dict):
        fail(
            "must be image or a mapping (test, interval, timeout, retries, ...), got %r" % (value,),
            hpath,
            parent,
            "healthcheck",
        )
    schema.check_keys(value, HEALTHCHECK_KEYS, hpath, "healthcheck")
    if schema.get_bool(value, "disable", hpath):
        if set(value) - {"disable"}:
            fail("disable: true takes no other setting", hpath, parent, "healthcheck")
        return {"test": ["NONE"]}
    check: Healthcheck = {}
    if value.get("test") is not None:
        check["test"] = _test(value, hpath)
    for key in DURATIONS:
        if value.get(key) is not None:
            try:
                check[key] = duration_ns(value[key])  # type: ignore[literal-required]
            except ValueError:
                fail(
                    "must be a duration such as 30s, 1m30s or 500ms, got %r" % (value[key],), hpath + (key,), value, key
                )
            if 0 < check[key] < _MIN_NS:  # type: ignore[literal-required]
                fail("must be 0 or at least 1ms (Docker's least), got %r" % (value[key],), hpath + (key,), value, key)
    retries = schema.get_int(value, "retries", hpath, minimum=0)
    if retries is not None:
        check["retries"] = retries
    if not check:
        fail("sets nothing: give a test, or timings for the image's own test", hpath, parent, "healthcheck")
    return check


def _test(check: Mapping[str, Any], path: tuple) -> list[str]:
    value = check["test"]
    if isinstance(value, str):
        if not value.strip():
            fail("must not be empty", path + ("test",), check, "test")
        return ["CMD-SHELL", value]
    words = schema.get_str_list(check, "test", path)
    if not words or words[0] not in TEST_KINDS:
        fail(
            "a list test starts with CMD, CMD-SHELL or NONE (or give a string, run by the shell), got %r" % (value,),
            path + ("test",),
            check,
            "test",
        )
    fewest, most, follows = TEST_KINDS[words[0]]
    if len(words) < fewest or (most is not None and len(words) > most):
        fail("%s takes %s, got %r" % (words[0], follows, value), path + ("test",), check, "test")
    return words


def oneshot(service: Mapping[str, Any], path: tuple) -> Optional[float]:
    """A service's ``oneshot`` (an extension): ``true`` or ``{timeout: DURATION}``: its containers run to
    completion, and count as done once they exit 0 (within the timeout, seconds; None: not a oneshot)."""
    value = service.get("oneshot")
    opath = path + ("oneshot",)
    if value is None or value is False:
        return None
    if value is True:
        return ONESHOT_TIMEOUT
    if not isinstance(value, dict):
        fail("must be true, false or {timeout: DURATION}, got %r" % (value,), opath, service, "oneshot")
    schema.check_keys(value, ("timeout",), opath, "oneshot")
    if value.get("timeout") is None:
        return ONESHOT_TIMEOUT
    try:
        seconds = duration_ns(value["timeout"]) / 10**9
    except ValueError:
        seconds = 0
    if seconds <= 0:
        fail(
            "must be a duration such as 10m or 90s, got %r" % (value["timeout"],),
            opath + ("timeout",),
            value,
            "timeout",
        )
    return seconds
