# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the engine, as the orchestrate action and the ``maestro`` command both call it:
the environment's lock, Ctrl-C / SIGTERM, the audit trail, plan / apply_plan files and the
diff. The callers only translate their inputs into ``options`` and the result back out."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Union

from ..defaults import SHIP_CONCURRENCY
from ..docker.client import DockerException, connect, connection_errors
from ..docker.container import headed_diffs
from ..errors import ContainerError, MaestroError
from ..model import update_section
from ..model.secrets import hidden, hide, secret_values
from . import timings
from .audit import audited
from .interrupt import interruptible
from .lock import EnvironmentLock, LockTimeout
from .orchestrate import Orchestrator
from .plans import make_plan, read_plan

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import RunResult


def orchestrate(
    env: Environment,
    names: list[str],
    options: Mapping[str, Any],
    progress: Callable[[str], None],
    check_mode: bool = False,
    warn: Optional[Callable[[str], None]] = None,
    diff: bool = False,
    lock_owner: Optional[int] = None,
    on_interrupt: Optional[Callable[[], None]] = None,
) -> RunResult:
    """Run ``options["state"]`` on the instances ``names`` of ``env``; the result dict (the
    orchestrator's summary, ``failed`` / ``msg`` on failure). ``options`` holds the
    orchestrate action's arguments (action_specs.ORCHESTRATE_SPEC, defaults filled in);
    ``progress`` shows a line, ``warn`` a warning; ``lock_owner`` is the pid the environment's
    lock is held for; ``on_interrupt()`` is called first when a signal arrives (the action
    plugin's progress then writes to ansible-playbook's stderr itself). No line, warning, result
    or plan file shows a secret of ``env`` (model/secrets.py)."""
    secrets = secret_values(env)
    if not secrets:
        return _orchestrate(env, names, options, progress, check_mode, warn, diff, lock_owner, on_interrupt)
    result = _orchestrate(
        env,
        names,
        options,
        _hiding(progress, secrets),
        check_mode,
        _hiding(warn, secrets),
        diff,
        lock_owner,
        on_interrupt,
    )
    return hidden(result, secrets)


def _hiding(show, secrets):
    """``show`` with the secrets hidden in each line."""
    if show is None:
        return None
    return lambda line: show(hide(line, secrets))


def _orchestrate(env, names, options, progress, check_mode, warn, diff, lock_owner, on_interrupt):
    if options["plan"] and options["apply_plan"]:
        return dict(failed=True, msg="plan and apply_plan exclude each other")
    if options["plan"] and not check_mode:
        return dict(failed=True, msg="plan=FILE writes what a --check run would do: add --check")
    for bound in ("concurrency", "ship_concurrency"):
        if options.get(bound) is not None and options[bound] < 1:
            return dict(
                failed=True, msg="%s: %s is not a number of operations at once (1 or more)" % (bound, options[bound])
            )
    update = {key: options.get(key) for key in ("update_parallelism", "update_delay", "update_failure_action")}
    try:
        update_section.overridden(update_section.DEFAULT_UPDATE, update)
    except MaestroError as exc:
        return dict(failed=True, msg=str(exc))
    orchestrator = Orchestrator(
        env,
        check_mode=check_mode,
        progress=progress,
        refresh=options["refresh_images"],
        keep_going=options["keep_going"],
        record_live=bool(options["plan"]),
        start_grace=options["start_grace"],
        wait_healthy=options.get("wait_healthy", True),
        rerun_oneshots=bool(options.get("rerun_oneshots")),
        adopt=bool(options.get("adopt")),
        update=update,
        concurrency=options.get("concurrency"),
        ship_concurrency=options.get("ship_concurrency") or SHIP_CONCURRENCY,
    )

    def interrupted(signal_name):
        if not orchestrator.interrupted:
            if on_interrupt is not None:
                on_interrupt()
            progress("%s: finishing the containers in progress, starting no new ones" % signal_name)
        orchestrator.interrupt(signal_name)

    # A changing run holds the environment's lock on this controller (check mode only reads).
    lock = (
        None
        if check_mode
        else EnvironmentLock(
            env.name, timeout=options["lock_timeout"], owner=lock_owner or os.getpid(), on_wait=progress
        )
    )
    result: RunResult = {}
    try:
        with interruptible(interrupted):
            if not lock or lock.acquire(cancelled=lambda: orchestrator.interrupted):
                result = _run_locked(env, names, options, orchestrator, check_mode, progress, warn, diff)
            else:
                result = {
                    "failed": True,
                    "interrupted": orchestrator.interrupted,
                    "msg": "interrupted (%s) before it began: nothing done" % orchestrator.interrupted,
                }
    except LockTimeout as exc:
        result = {"failed": True, "msg": str(exc)}
    finally:
        if lock:
            lock.release()
        if orchestrator.interrupted:
            progress(result.get("msg") or "interrupted (%s)" % orchestrator.interrupted)
    return result


def _run_locked(env, names, options, orchestrator, check_mode, progress, warn, diff):
    state = options["state"]
    planned = None
    if options["apply_plan"]:
        try:
            with open(options["apply_plan"], encoding="utf-8") as handle:
                planned = read_plan(env, state, json.load(handle))
        except (OSError, ValueError, ContainerError) as exc:
            return dict(failed=True, msg="plan %s: %s" % (options["apply_plan"], exc))
        moved = orchestrator.verify_plan(planned)
        if moved:
            return dict(
                failed=True,
                changed=False,
                moved=moved,
                msg="plan %s refused, nothing was changed: the live state moved since it was made: %s"
                % (options["apply_plan"], "; ".join(moved)),
            )
        names = list(planned)
    summary = audited(
        env,
        state,
        names,
        lambda: orchestrator.run(state, names, restart_options=options, planned=planned),
        check_mode=check_mode,
        warn=warn,
    )
    if state == "started" and not check_mode and not summary["failed"]:
        timings.record(env.name, summary)  # what deps shows as the critical path
    result = dict(summary)
    if options["plan"]:
        try:
            write_plan(env, state, summary, options, progress)
        except ContainerError as exc:
            return dict(result, failed=True, msg=str(exc))
        result["plan"] = options["plan"]
    result["environment"] = env.name
    if diff:
        result["diff"] = headed_diffs(summary["instances"])
    return result


def write_plan(
    env: Environment,
    state: str,
    summary: RunResult,
    options: Mapping[str, Any],
    progress: Callable[[str], None],
) -> None:
    """Write the plan of a check run to ``options["plan"]`` (whole or not at all) and say so."""
    selection = {key: options[key] for key in ("services", "ships", "with_dependencies")}
    doc = hidden(make_plan(env, state, summary, selection=selection), secret_values(env))
    tmp_path = options["plan"] + ".tmp"
    try:
        with open(tmp_path, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=1)
        os.replace(tmp_path, options["plan"])
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
    counts: dict[str, int] = {}
    for entry in doc["instances"]:
        counts[entry["action"]] = counts.get(entry["action"], 0) + 1
    progress(
        "plan written to %s: %s"
        % (options["plan"], ", ".join("%d %s" % (n, action) for action, n in sorted(counts.items())))
    )


def logs(env: Environment, name: str, show: Callable[[str], None], tail: int = -1, follow: bool = False) -> list[str]:
    """The log lines of instance ``name`` (its last ``tail``; -1: all); ``follow`` shows each
    line with ``show`` as it comes, until the container stops, and returns none.
    Raises MaestroError (an unknown instance or container) or ShipUnreachable."""
    if name not in env.instances:
        raise MaestroError("unknown instance %r (known: %s)" % (name, ", ".join(env.instances)))
    ship = env.ships[env.instances[name]["ship"]]
    last: Union[int, str] = tail if tail >= 0 else "all"
    try:
        with connection_errors(ship["name"], ship["docker_url"]):
            client = connect(ship)
            if not follow:
                return client.logs(name, tail=last).decode("utf-8", "replace").splitlines()
            buffer = b""
            for chunk in client.logs(name, stream=True, follow=True, tail=last):
                buffer += chunk
                *done, buffer = buffer.split(b"\n")
                for line in done:
                    show(line.decode("utf-8", "replace").rstrip("\r"))
            if buffer:
                show(buffer.decode("utf-8", "replace"))
            return []
    except DockerException as exc:
        if getattr(exc, "status_code", None) == 404:
            raise MaestroError("%s: no such container on ship %s" % (name, ship["name"])) from exc
        raise MaestroError("%s: %s" % (name, exc)) from exc
