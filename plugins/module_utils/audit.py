# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail: MaestroNG's ``audit`` notifiers, read from the file and sent to.

A command sends one ``start`` event naming what it acts on, then ``success`` or
``failure`` (with the error). At ``level: debug`` a notifier also gets one event
per instance. Notifiers: ``log`` (a line appended to a file), ``http`` (a JSON
request), ``exec`` (a local program); ``slack`` and ``hipchat`` are read, so
MaestroNG files load, but not sent to. Standard library only.
"""

from __future__ import annotations

import json
import os
import shlex
import string
import time

from . import schema
from .schema import fail

# A notifier gets the events at or above its level (MaestroNG's info and debug, and
# two higher thresholds: outcomes only, failures only).
LEVELS = {"debug": 10, "info": 20, "success": 25, "error": 40}
DEFAULT_LEVEL = "info"
EVENT_LEVELS = {"start": 20, "success": 25, "failure": 40}
INSTANCE_LEVEL = 10

COMMON_KEYS = frozenset(("type", "level", "ignore_errors"))
KEYS = {
    "log": frozenset(("file",)),
    "http": frozenset(("endpoint", "method", "headers", "payload", "timeout")),
    "exec": frozenset(("script", "args", "timeout")),
    "slack": frozenset(("name", "channel", "token", "icon")),
    "hipchat": frozenset(("name", "room", "token")),
}
REQUIRED = {"log": ("file",), "http": ("endpoint",), "exec": ("script",),
            "slack": ("channel", "token"), "hipchat": ("room", "token")}
UNSENT = ("slack", "hipchat")
TYPE_HINTS = {"webhook": "MaestroNG calls the webhook notifier 'http'"}
HTTP_METHODS = ("GET", "POST")
HTTP_TIMEOUT = 3      # MaestroNG's
EXEC_TIMEOUT = 30
PLACEHOLDERS = ("action", "environment", "event", "message", "what", "who")
# The orchestrate states as MaestroNG names its commands.
ACTIONS = {"started": "start", "stopped": "stop", "killed": "kill", "restarted": "restart",
           "absent": "remove", "cleaned": "clean", "pulled": "pull"}
REVERSED = ("stop", "kill", "remove", "clean")
HIDDEN = "********"


class AuditError(Exception):
    """A notifier could not deliver an event."""


# ---------------------------------------------------------------------- reading the file
def read(doc, folder):
    """The ``audit`` list of an environment document, validated and normalised."""
    raw = doc.get("audit")
    if raw is None:
        return []
    if not isinstance(raw, list):
        fail("must be a list of notifiers, got %s" % schema.type_name(raw), ("audit",), doc, "audit")
    return [read_notifier(entry, ("audit", index), raw, index, folder) for index, entry in enumerate(raw)]


def read_notifier(entry, path, parent, key, folder):
    schema.check_map(entry, path, parent, key)
    kind = schema.get_str(entry, "type", path, required=True)
    if kind not in KEYS:
        hint = TYPE_HINTS.get(kind)
        fail("unknown audit type %r (%s)" % (kind, hint or "known: " + ", ".join(sorted(KEYS))),
             path + ("type",), entry, "type")
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
    item["timeout"] = _timeout(entry, path, HTTP_TIMEOUT)
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
    item["timeout"] = _timeout(entry, path, EXEC_TIMEOUT)


def _timeout(entry, path, default):
    value = schema.get_number(entry, "timeout", path, default=default)
    if not value:
        fail("must be more than 0", path + ("timeout",), entry, "timeout")
    return value


def _check_templates(value, path, parent, key):
    """Every string in ``value`` must be a valid str.format template of PLACEHOLDERS."""
    if isinstance(value, dict):
        for name, item in value.items():
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
            fail("unknown placeholder {%s} in %r (known: %s)"
                 % (field, value, ", ".join("{%s}" % p for p in PLACEHOLDERS)), path, parent, key)


def _path(value, folder):
    value = os.path.expanduser(value)
    return os.path.normpath(value if os.path.isabs(value) else os.path.join(folder, value))


# ---------------------------------------------------------------------- events
class Event:
    """One audit event: ``kind`` start, success or failure of ``action`` on ``what``."""

    def __init__(self, kind, action, what, message=None, instance=False, details=None):
        self.kind = kind
        self.action = action
        self.what = list(what)
        self.message = message
        self.instance = instance
        self.details = details
        self.level = INSTANCE_LEVEL if instance else EVENT_LEVELS[kind]


def verb(action, end="ing"):
    return ("stopp" if action == "stop" else action[:-1] if action.endswith("e") else action) + end


def sentence(event, who):
    """The event in MaestroNG's words."""
    what = ", ".join(event.what)
    if event.kind == "start":
        return "%s is %s %s." % (who, verb(event.action), what)
    if event.kind == "success":
        text = "%s of %s succeeded." % (event.action.title(), what)
        return text[:-1] + " (%s)." % event.details if event.details else text
    text = "Failed to %s %s!" % (event.action, what)
    return text + " (message: %s)" % event.message if event.message else text


# ---------------------------------------------------------------------- sending
class Auditor:
    """Sends events to an environment's notifiers.

    ``send`` returns the problems of notifiers without ``ignore_errors`` (the caller
    fails the run with them); those of the others go to ``warn``.
    """

    def __init__(self, env, warn=None, who=None):
        self.env = env
        self.notifiers = list(getattr(env, "audit", None) or [])
        self.warn = warn or (lambda text: None)
        self.who = who or _user()
        # Never send a registry password, even inside an error text.
        self.secrets = sorted({r["password"] for r in (getattr(env, "registries", None) or {}).values()
                               if r.get("password")}, key=len, reverse=True)
        self._told = set()

    def _hide(self, text):
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return text

    def send(self, event):
        if event.message:
            event.message = self._hide(str(event.message))
        problems = []
        for index, notifier in enumerate(self.notifiers):
            if event.level < LEVELS[notifier["level"]]:
                continue
            name = "audit.%d (%s)" % (index, notifier["type"])
            if notifier["type"] in UNSENT:
                if index not in self._told:
                    self._told.add(index)
                    self.warn("%s: %s notifiers are not supported by maestro.ng; nothing is sent to it"
                              % (name, notifier["type"]))
                continue
            try:
                DELIVER[notifier["type"]](self, notifier, event)
            except (AuditError, OSError, ValueError, LookupError, AttributeError) as exc:
                problem = "%s: could not send the %s event: %s" % (name, event.kind, self._hide(str(exc)))
                if notifier["ignore_errors"]:
                    self.warn(problem + " (ignore_errors: going on)")
                else:
                    problems.append(problem)
        return problems

    def fields(self, event):
        return {"action": event.action, "environment": self.env.name, "event": event.kind,
                "message": sentence(event, self.who), "what": ", ".join(event.what), "who": self.who}

    # -------------------------------------------------------------- the notifiers
    def _log(self, notifier, event):
        # MaestroNG's logging format: "%(asctime)s %(levelname)s: %(message)s".
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + ",%03d" % (int(now * 1000) % 1000)
        name = "ERROR" if event.kind == "failure" else "DEBUG" if event.instance else "INFO"
        # One line per event: a multi-line error (a container's log) is joined with " | ".
        text = " | ".join(part.strip() for part in sentence(event, self.who).splitlines() if part.strip())
        line = "%s %s: %s\n" % (stamp, name, text)
        try:
            with open(notifier["file"], "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise AuditError("cannot write %s: %s" % (notifier["file"], exc.strerror or exc))

    def _http(self, notifier, event):
        fields = self.fields(event)
        payload = notifier["payload"]
        body = _fill(payload, fields) if payload else fields
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(notifier["headers"])
        # Imported here (as subprocess and getpass): loading an environment must not pay for them.
        import urllib.error  # pylint: disable=import-outside-toplevel

        from ansible.module_utils.urls import ConnectionError as UrlsConnectionError  # pylint: disable=import-outside-toplevel
        from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel

        try:
            with open_url(notifier["endpoint"], data=json.dumps(body).encode("utf-8"), headers=headers,
                          method=notifier["method"], timeout=notifier["timeout"]) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise AuditError("%s %s: HTTP %d %s" % (notifier["method"], notifier["endpoint"], exc.code, exc.reason))
        except (urllib.error.URLError, OSError, ValueError, UrlsConnectionError) as exc:
            # UrlsConnectionError: open_url's own (TLS validation, proxies).
            reason = getattr(exc, "reason", None) or exc
            raise AuditError("%s %s: %s" % (notifier["method"], notifier["endpoint"], reason))

    def _exec(self, notifier, event):
        fields = self.fields(event)
        argv = [notifier["script"]] + [word.format(**fields) for word in shlex.split(notifier["args"])]
        # On stdin, as in MaestroNG: {instance: {ship: its ip, service}} for what the event is about.
        targets = {}
        for name in event.what:
            spec = self.env.instances.get(name) or {}
            ship = self.env.ships.get(spec.get("ship")) or {}
            targets[name] = {"ship": ship.get("ip"), "service": spec.get("service")}
        import subprocess  # pylint: disable=import-outside-toplevel

        try:
            # The notifier runs on the controller (action plugins): there is no AnsibleModule.run_command.
            proc = subprocess.run(argv, input=json.dumps(targets), capture_output=True, text=True,  # pylint: disable=ansible-bad-function
                                  timeout=notifier["timeout"], check=False)
        except subprocess.TimeoutExpired:
            raise AuditError("%s did not finish within %ss" % (notifier["script"], notifier["timeout"]))
        except OSError as exc:
            raise AuditError("cannot run %s: %s" % (notifier["script"], exc.strerror or exc))
        if proc.returncode:
            said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise AuditError("%s exited with %d%s" % (notifier["script"], proc.returncode,
                                                      ": " + said[-1] if said else ""))


DELIVER = {"log": Auditor._log, "http": Auditor._http, "exec": Auditor._exec}


def _fill(value, fields):
    """The payload template with its strings formatted; empty values are dropped (MaestroNG)."""
    if isinstance(value, dict):
        filled = {key: _fill(item, fields) for key, item in value.items()}
        return {key: item for key, item in filled.items() if item not in ("", {}, [], None)}
    if isinstance(value, list):
        return [item for item in (_fill(item, fields) for item in value) if item not in ("", {}, [], None)]
    if isinstance(value, str):
        return value.format(**fields)
    return value


def _user():
    import getpass  # pylint: disable=import-outside-toplevel

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "uid %d" % os.getuid()


# ---------------------------------------------------------------------- around a command
def audited(env, state, names, run, check_mode=False, warn=None):
    """Run ``run()`` (an orchestrate command over ``names``) inside its audit events.

    Returns the run's summary. A start event a notifier without ``ignore_errors``
    could not take stops the command before it acts; a later failure to notify fails
    the summary. Check mode sends nothing: nothing is done.
    """
    if check_mode or not names or not getattr(env, "audit", None):
        return run()
    auditor = Auditor(env, warn=warn)
    action = ACTIONS.get(state, state)
    # Named in the order the command goes through them (dependents first for a stop).
    order = {name: index for index, name in enumerate(env.instances)}
    names = sorted(names, key=lambda name: order.get(name, -1), reverse=action in REVERSED)
    problems = auditor.send(Event("start", action, names))
    if problems:
        msg = ("audit: %s; nothing was done (set ignore_errors: true on a notifier to go on without it)"
               % "; ".join(problems))
        auditor.send(Event("failure", action, names, message=msg))  # the notifiers that took the start
        return {"changed": False, "failed": True, "command": state, "instances": [], "msg": msg,
                "counts": {"total": 0, "changed": 0, "failed": 0, "skipped": 0}}
    try:
        summary = run()
    except Exception as exc:
        auditor.send(Event("failure", action, names, message=str(exc) or type(exc).__name__))
        raise
    for result in summary.get("instances", []):
        if result.get("skipped"):
            continue
        if result.get("failed"):
            problems += auditor.send(Event("failure", action, [result["instance"]], message=result.get("msg"),
                                           instance=True))
        else:
            problems += auditor.send(Event("success", action, [result["instance"]], instance=True,
                                           details=", ".join(result.get("actions") or []) or None))
    if summary.get("failed"):
        problems += auditor.send(Event("failure", action, names, message=summary.get("msg") or "failed"))
    else:
        problems += auditor.send(Event("success", action, names))
    if problems:
        text = "audit: %s" % "; ".join(problems)
        summary = dict(summary, failed=True, msg="%s; %s" % (summary["msg"], text) if summary.get("msg") else text)
    return summary
