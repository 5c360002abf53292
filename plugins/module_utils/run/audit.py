# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail: events sent to MaestroNG's ``audit`` notifiers (read by model/audit_section.py).

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
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional

from ..command_specs import BY_WORD, COMMANDS
from ..model.audit_section import LEVELS
from ..model.secrets import hide, secret_values

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import RunResult

# When an event reaches a notifier: its level against the notifier's (audit_section.LEVELS).
EVENT_LEVELS = {"start": 20, "success": 25, "failure": 40}
INSTANCE_LEVEL = 10
# Read, so MaestroNG files load, but not sent to.
UNSENT = ("slack", "hipchat")


class AuditError(Exception):
    """A notifier could not deliver an event."""


# ---------------------------------------------------------------------- events
class Event:
    """One audit event: ``kind`` start, success or failure of ``action`` on ``what``."""

    def __init__(
        self,
        kind: str,
        action: str,
        what: Iterable[str] | str,
        message: Optional[str] = None,
        instance: bool = False,
        details: Optional[str] = None,
    ):
        self.kind = kind
        self.action = action
        self.what = list(what)
        self.message = message
        self.instance = instance
        self.details = details
        self.level = INSTANCE_LEVEL if instance else EVENT_LEVELS[kind]


def sentence(event: Event, who: str) -> str:
    """The event in MaestroNG's words."""
    what = ", ".join(event.what)
    if event.kind == "start":
        return "%s is %s %s." % (who, BY_WORD[event.action].doing, what)
    if event.kind == "success":
        text = "%s of %s succeeded." % (event.action.title(), what)
        return text[:-1] + " (%s)." % event.details if event.details else text
    text = "Failed to %s %s!" % (event.action, what)
    return text + " (message: %s)" % event.message if event.message else text


# ---------------------------------------------------------------------- the notifiers
class LogNotifier:
    """A line per event appended to ``file``, in MaestroNG's logging format."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config

    def deliver(self, event: Event, auditor: Auditor) -> None:
        # "%(asctime)s %(levelname)s: %(message)s"
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + ",%03d" % (int(now * 1000) % 1000)
        name = "ERROR" if event.kind == "failure" else "DEBUG" if event.instance else "INFO"
        # One line per event: a multi-line error (a container's log) is joined with " | ".
        text = " | ".join(part.strip() for part in sentence(event, auditor.who).splitlines() if part.strip())
        line = "%s %s: %s\n" % (stamp, name, text)
        path = self.config["file"]
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise AuditError("cannot write %s: %s" % (path, exc.strerror or exc)) from exc


class HttpNotifier:
    """A JSON request to ``endpoint``: the event's fields, or ``payload`` filled with them."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config

    def deliver(self, event: Event, auditor: Auditor) -> None:
        config = self.config
        fields = auditor.fields(event)
        body = _fill(config["payload"], fields) if config["payload"] else fields
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(config["headers"])
        # Imported here (as subprocess and getpass): loading an environment must not pay for them.
        import urllib.error  # pylint: disable=import-outside-toplevel

        from ansible.module_utils.urls import ConnectionError as UrlsConnectionError  # pylint: disable=import-outside-toplevel
        from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel

        try:
            with open_url(
                config["endpoint"],
                data=json.dumps(body).encode("utf-8"),
                headers=headers,
                method=config["method"],
                timeout=config["timeout"],
            ) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise AuditError(
                "%s %s: HTTP %d %s" % (config["method"], config["endpoint"], exc.code, exc.reason)
            ) from exc
        except (urllib.error.URLError, OSError, ValueError, UrlsConnectionError) as exc:
            # UrlsConnectionError: open_url's own (TLS validation, proxies).
            reason = getattr(exc, "reason", None) or exc
            raise AuditError("%s %s: %s" % (config["method"], config["endpoint"], reason)) from exc


class ExecNotifier:
    """A local program run with ``args`` filled with the event's fields; on stdin, as in
    MaestroNG, ``{instance: {ship: its ip, service}}`` for what the event is about."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config

    def deliver(self, event: Event, auditor: Auditor) -> None:
        config = self.config
        fields = auditor.fields(event)
        argv = [config["script"]] + [word.format(**fields) for word in shlex.split(config["args"])]
        env = auditor.env
        targets = {}
        for name in event.what:
            spec = env.instances.get(name)
            ship = env.ships.get(spec["ship"]) if spec else None
            targets[name] = {"ship": ship["ip"] if ship else None, "service": spec["service"] if spec else None}
        import subprocess  # pylint: disable=import-outside-toplevel

        try:
            # The notifier runs on the controller (action plugins): there is no AnsibleModule.run_command.
            proc = subprocess.run(  # pylint: disable=ansible-bad-function
                argv,
                input=json.dumps(targets),
                capture_output=True,
                text=True,
                timeout=config["timeout"],
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise AuditError("%s did not finish within %ss" % (config["script"], config["timeout"])) from None
        except OSError as exc:
            raise AuditError("cannot run %s: %s" % (config["script"], exc.strerror or exc)) from exc
        if proc.returncode:
            said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise AuditError(
                "%s exited with %d%s" % (config["script"], proc.returncode, ": " + said[-1] if said else "")
            )


NOTIFIERS = {"log": LogNotifier, "http": HttpNotifier, "exec": ExecNotifier}


# ---------------------------------------------------------------------- sending
class Auditor:
    """Sends events to an environment's notifiers.

    ``send`` returns the problems of notifiers without ``ignore_errors`` (the caller
    fails the run with them); those of the others go to ``warn``.
    """

    def __init__(self, env: Environment, warn: Optional[Callable[[str], None]] = None, who: Optional[str] = None):
        self.env = env
        self.notifiers = list(getattr(env, "audit", None) or [])
        self._deliver: list[Any] = [NOTIFIERS[n["type"]](n) if n["type"] in NOTIFIERS else None for n in self.notifiers]
        self.warn = warn or (lambda text: None)
        self.who = who or _user()
        # Never send a registry password or a notifier's token, even inside an error text.
        self.secrets = secret_values(env)
        self._told: set[int] = set()

    def send(self, event: Event) -> list[str]:
        if event.message:
            event.message = hide(str(event.message), self.secrets)
        problems = []
        for index, notifier in enumerate(self.notifiers):
            if event.level < LEVELS[notifier["level"]]:
                continue
            name = "audit.%d (%s)" % (index, notifier["type"])
            if notifier["type"] in UNSENT:
                if index not in self._told:
                    self._told.add(index)
                    self.warn(
                        "%s: %s notifiers are not supported by maestro.ng; nothing is sent to it"
                        % (name, notifier["type"])
                    )
                continue
            try:
                self._deliver[index].deliver(event, self)
            except (AuditError, OSError, ValueError, LookupError, AttributeError) as exc:
                problem = "%s: could not send the %s event: %s" % (name, event.kind, hide(str(exc), self.secrets))
                if notifier["ignore_errors"]:
                    self.warn(problem + " (ignore_errors: going on)")
                else:
                    problems.append(problem)
        return problems

    def fields(self, event: Event) -> dict[str, Any]:
        return {
            "action": event.action,
            "environment": self.env.name,
            "event": event.kind,
            "message": sentence(event, self.who),
            "what": ", ".join(event.what),
            "who": self.who,
        }


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
def audited(
    env: Environment,
    state: str,
    names: list[str],
    run: Callable[[], RunResult],
    check_mode: bool = False,
    warn: Optional[Callable[[str], None]] = None,
) -> RunResult:
    """Run ``run()`` (an orchestrate command over ``names``) inside its audit events.

    Returns the run's summary. A start event a notifier without ``ignore_errors``
    could not take stops the command before it acts; a later failure to notify fails
    the summary. Check mode sends nothing: nothing is done.
    """
    if check_mode or not names or not getattr(env, "audit", None):
        return run()
    auditor = Auditor(env, warn=warn)
    command = COMMANDS[state]
    action = command.word
    # Named in the order the command goes through them (dependents first for a stop).
    order = {name: index for index, name in enumerate(env.instances)}
    names = sorted(names, key=lambda name: order.get(name, -1), reverse=command.reverse)
    problems = auditor.send(Event("start", action, names))
    if problems:
        return _refused(auditor, state, action, names, problems)
    try:
        summary = run()
    except Exception as exc:
        auditor.send(Event("failure", action, names, message=str(exc) or type(exc).__name__))
        raise
    problems += _instance_events(auditor, action, summary)
    if summary.get("failed"):
        problems += auditor.send(Event("failure", action, names, message=summary.get("msg") or "failed"))
    else:
        problems += auditor.send(Event("success", action, names, details=rollout_details(summary)))
    if problems:
        text = "audit: %s" % "; ".join(problems)
        summary = {**summary, "failed": True, "msg": "%s; %s" % (summary["msg"], text) if summary.get("msg") else text}
    return summary


def rollout_details(summary: RunResult) -> Optional[str]:
    """What a successful run replaced (the audit trail records rollouts; rollbacks are failures, whose
    message names each instance and the container it went back to)."""
    replaced = [r["instance"] for r in summary.get("instances", []) if r.get("reasons") and not r.get("failed")]
    if not replaced:
        return None
    return "replaced %s" % ", ".join(replaced)


def _refused(auditor, state, action, names, problems):
    """The summary of a command a notifier would not let start (nothing was done)."""
    msg = "audit: %s; nothing was done (set ignore_errors: true on a notifier to go on without it)" % "; ".join(
        problems
    )
    auditor.send(Event("failure", action, names, message=msg))  # the notifiers that took the start
    return {
        "changed": False,
        "failed": True,
        "command": state,
        "instances": [],
        "msg": msg,
        "counts": {"total": 0, "changed": 0, "failed": 0, "skipped": 0},
    }


def _instance_events(auditor, action, summary):
    """One success or failure event per instance the run acted on; the notifiers' problems."""
    problems = []
    for result in summary.get("instances", []):
        if result.get("skipped"):
            continue
        if result.get("failed"):
            event = Event("failure", action, [result["instance"]], message=result.get("msg"), instance=True)
        else:
            details = ", ".join(result.get("actions") or []) or None
            event = Event("success", action, [result["instance"]], instance=True, details=details)
        problems += auditor.send(event)
    return problems
