# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``audit`` section of an environment file, read and checked for the model.

Sending events to the notifiers it lists is ``audit.py``'s work: loading an
environment never imports what delivery needs.
"""

from __future__ import annotations

import os
import shlex
import string
from typing import TYPE_CHECKING, Any, Mapping

from . import schema
from .schema import fail

if TYPE_CHECKING:
    from ..records import Notifier

# A notifier gets the events at or above its level (MaestroNG's info and debug, and
# two higher thresholds: outcomes only, failures only).
LEVELS = {"debug": 10, "info": 20, "success": 25, "error": 40}
DEFAULT_LEVEL = "info"

COMMON_KEYS = frozenset(("type", "level", "ignore_errors"))
KEYS = {
    "log": frozenset(("file",)),
    "http": frozenset(("endpoint", "method", "headers", "payload", "timeout")),
    "exec": frozenset(("script", "args", "timeout")),
    "slack": frozenset(("name", "channel", "token", "icon")),
    "hipchat": frozenset(("name", "room", "token")),
}
REQUIRED = {
    "log": ("file",),
    "http": ("endpoint",),
    "exec": ("script",),
    "slack": ("channel", "token"),
    "hipchat": ("room", "token"),
}
TYPE_HINTS = {"webhook": "MaestroNG calls the webhook notifier 'http'"}
HTTP_METHODS = ("GET", "POST")
NOTIFY_HTTP_TIMEOUT = 3  # MaestroNG's
NOTIFY_EXEC_TIMEOUT = 30
PLACEHOLDERS = ("action", "environment", "event", "message", "what", "who")


def read(doc: Mapping[str, Any], folder: str) -> list[Notifier]:
    """The ``audit`` list of an environment document, validated and normalised."""
    raw = doc.get("audit")
    if raw is None:
        return []
    if not isinstance(raw, list):
        fail("must be a list of notifiers, got %s" % schema.type_name(raw), ("audit",), doc, "audit")
    return [read_notifier(entry, ("audit", index), raw, index, folder) for index, entry in enumerate(raw)]


def read_notifier(entry: Any, path: tuple, parent: Any, key: Any, folder: str) -> Notifier:
    schema.check_map(entry, path, parent, key)
    kind = schema.get_str(entry, "type", path, required=True)
    if kind not in KEYS:
        hint = TYPE_HINTS.get(kind)
        fail(
            "unknown audit type %r (%s)" % (kind, hint or "known: " + ", ".join(sorted(KEYS))),
            path + ("type",),
            entry,
            "type",
        )
    schema.check_keys(entry, KEYS[kind] | COMMON_KEYS, path, kind + " audit")
    level = schema.get_str(entry, "level", path, default=DEFAULT_LEVEL)
    if level not in LEVELS:
        fail("unknown level %r (known: %s)" % (level, ", ".join(LEVELS)), path + ("level",), entry, "level")
    item = {"type": kind, "level": level, "ignore_errors": schema.get_bool(entry, "ignore_errors", path)}
    for name in REQUIRED[kind]:
        item[name] = schema.get_str(entry, name, path, required=True)
    if kind == "log":
        item["file"] = _path(item["file"], folder)
    elif kind == "http":
        _read_http(entry, path, item)
    elif kind == "exec":
        _read_exec(entry, path, item, folder)
    else:
        for name in KEYS[kind] - set(REQUIRED[kind]):
            item[name] = schema.get_str(entry, name, path)
    return item


def _read_http(entry, path, item):
    if not item["endpoint"].startswith(("http://", "https://")):
        fail("must be an http:// or https:// URL, got %r" % item["endpoint"], path + ("endpoint",), entry, "endpoint")
    method = schema.get_str(entry, "method", path, default="POST").upper()
    if method not in HTTP_METHODS:
        fail("must be GET or POST, got %r" % entry["method"], path + ("method",), entry, "method")
    item["method"] = method
    item["headers"] = schema.get_str_map(entry, "headers", path)
    item["timeout"] = _timeout(entry, path, NOTIFY_HTTP_TIMEOUT)
    payload = entry.get("payload")
    if payload is not None and not isinstance(payload, (dict, list)):
        fail("must be a mapping or a list, got %s" % schema.type_name(payload), path + ("payload",), entry, "payload")
    _check_templates(payload, path + ("payload",), entry, "payload")
    item["payload"] = payload or None


def _read_exec(entry, path, item, folder):
    script = item["script"]
    # A relative path with a folder in it is relative to the environment file, like
    # env files; a bare name is looked up on PATH.
    item["script"] = _path(script, folder) if "/" in script else script
    args = schema.get_str(entry, "args", path, default="")
    try:
        words = shlex.split(args)
    except ValueError as exc:
        fail("cannot split into words: %s" % exc, path + ("args",), entry, "args")
    _check_templates(words, path + ("args",), entry, "args")
    item["args"] = args
    item["timeout"] = _timeout(entry, path, NOTIFY_EXEC_TIMEOUT)


def _timeout(entry, path, default):
    value = schema.get_number(entry, "timeout", path, default=default)
    if not value:
        fail("must be more than 0", path + ("timeout",), entry, "timeout")
    return value


def _check_templates(value, path, parent, key):
    """Every string in ``value`` must be a valid str.format template of PLACEHOLDERS."""
    if isinstance(value, dict):
        for item in value.values():
            _check_templates(item, path, parent, key)
        return
    if isinstance(value, list):
        for item in value:
            _check_templates(item, path, parent, key)
        return
    if not isinstance(value, str):
        return
    try:
        fields = [field for dummy, field, dummy2, dummy3 in string.Formatter().parse(value) if field is not None]
    except ValueError as exc:
        fail("bad template %r: %s" % (value, exc), path, parent, key)
    for field in fields:
        if field not in PLACEHOLDERS:  # no {what.attr} or {what[0]}: plain names only
            fail(
                "unknown placeholder {%s} in %r (known: %s)"
                % (field, value, ", ".join("{%s}" % p for p in PLACEHOLDERS)),
                path,
                parent,
                key,
            )


def _path(value, folder):
    value = os.path.expanduser(value)
    return os.path.normpath(value if os.path.isabs(value) else os.path.join(folder, value))
