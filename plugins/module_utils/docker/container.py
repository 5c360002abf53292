# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container on one ship to an instance spec: ``ContainerManager`` drives the
low-level Docker API (and the lifecycle checks) to reach a state, creating from desired.py's
arguments and replacing what drift.py finds drifted.

A replacement is a transaction (docs/docsite/rst/updates.rst): the image is there first, the old container
is stopped and kept aside under a name any later run recognizes (``NAME.maestro-previous``), the
new one is created with the old one's anonymous volumes and must prove ready (its ``running``
checks, ``start_grace``); only then is the old one removed. A new one that fails is stopped and
kept as ``NAME.maestro-failed`` (its logs are the evidence) and the old one gets its name back and
runs again. A run that finds a container kept aside finishes or undoes what was interrupted first.
"""

from __future__ import annotations

import calendar
import os
import signal
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ..command_specs import CONTAINER_STATES
from ..errors import ContainerError
from . import health, registries
from .client import (
    TRANSPORT_ERRORS,
    APIError,
    DockerException,
    NotFound,
    connection_errors,
    containers_by_name,
    error_text,
    image_inspect,
    short_id,
)
from .desired import LABEL_DIGEST, config_digest, desired_config, stop_timeout
from .drift import Difference, differences, listed_current
from .lifecycle import run_checks as _run_checks
from .ownership import refusal, stranger
from .volumes import anonymous, carried_binds, wanted_paths

if TYPE_CHECKING:
    from docker import APIClient

    from ..records import ContainerResult, InstanceSpec, Registry


LOG_TAIL = 20
# Seconds a started container without running checks must keep running before the start
# counts as done: 0 (MaestroNG's behaviour, and docker compose's) inspects it once, right
# after the start. The daemon takes 0.1-0.3 s to notice a command that exits at once
# (measured), so a start_grace of about 0.5 s is what catches those.
START_GRACE = 0

# converge(listed=...) default: nothing is known of the container yet, inspect it.
NOT_LISTED = object()
# The states of a container listing (GET /containers/json) in which inspect says Running.
_LISTED_RUNNING = ("running", "paused", "restarting")
# Another run (another controller, or a user) changing the same container at the same time:
# what Docker then answers, and what it means. The manager reads the container again and
# converges from what is really there, up to RACE_ATTEMPTS times.
RACE_STOPPED = "another run stopped it meanwhile"
RACES = (
    (404, "no such container", "another run removed it meanwhile"),
    (409, "already in use", "another run created it at the same time"),
    (409, "already in progress", "another run is removing it"),
    (409, "marked for removal", "another run is removing it"),
    (409, "is not running", RACE_STOPPED),
    (409, "cannot remove a running container", "another run started it meanwhile"),
)
RACE_ATTEMPTS = 4
RACE_WAIT = 0.2
# The containers a replacement keeps beside an instance's own, by kind: the previous one (until the
# new one is ready, or the whole service's rollout is) and a new one that failed (until a change
# succeeds). Their names end so; their labels still say which instance they are.
KEPT_PREVIOUS = "previous"
KEPT_FAILED = "failed"
ASIDE = {KEPT_PREVIOUS: ".maestro-previous", KEPT_FAILED: ".maestro-failed"}
# The steps of a replacement, in order; with this environment variable naming one, the process kills
# itself (SIGKILL) when it gets there: the crash tests' hook (tests/integration/test_updates.py).
CRASH_AT = "MAESTRO_TEST_CRASH_AT"
STEPS = ("stopped", "aside", "created", "started", "ready", "failed-aside", "restored")


# What each recorded action is called in check mode.
_WOULD = {
    "pulled image": "would pull image",
    "created": "would create",
    "started": "would start",
    "stopped": "would stop",
    "killed": "would kill",
    "removed": "would remove",
    "kept aside": "would keep aside",
    "restored": "would restore",
}


def aside_name(name: str, kind: str) -> str:
    """The name of instance ``name``'s container kept aside as ``kind`` (KEPT_PREVIOUS, KEPT_FAILED)."""
    return name + ASIDE[kind]


def aside_of(found: Mapping[str, Any], name: str, environment: str) -> dict[str, Optional[dict]]:
    """{kind: the listing entry of ``name``'s container kept aside as it, or None} from a ship's
    containers by name (a container with such a name but not this instance's labels is not one)."""
    result: dict[str, Optional[dict]] = {}
    for kind in ASIDE:
        entry = found.get(aside_name(name, kind))
        result[kind] = entry if entry is not None and stranger(entry, environment, name) is None else None
    return result


def race_of(exc: Exception) -> Optional[str]:
    """What another run did, when Docker error ``exc`` says the container changed under us
    (None: a real error)."""
    if not isinstance(exc, APIError):
        return None
    status, text = getattr(exc, "status_code", None), error_text(exc).lower()
    return next((what for code, words, what in RACES if status == code and words in text), None)


def _listed_container(entry):
    """The part of an inspect a container listing entry gives (None: no container)."""
    if entry is None:
        return None
    status = entry.get("State")
    return {
        "Id": entry["Id"],
        "Image": entry.get("ImageID"),
        "State": {"Running": status in _LISTED_RUNNING, "Status": status},
        "Config": {"Labels": entry.get("Labels") or {}},
        "Mounts": entry.get("Mounts") or [],
    }


def unchanged(
    spec: InstanceSpec,
    entry: Any,
    image: Optional[Mapping[str, Any]],
    aside: Optional[Mapping[str, Optional[dict]]],
    refresh: bool = False,
) -> bool:
    """Whether the container a listing ``entry`` shows needs nothing to be started: it runs, it was
    made from ``spec``'s very settings with ``image`` (drift.listed_current), nothing of the instance
    is kept aside and no refresh of its image was asked for."""
    return (
        entry not in (None, NOT_LISTED)
        and not refresh
        and (completed(entry) if spec.get("oneshot") is not None else entry.get("State") == "running")
        and not any((aside or {}).values())
        and listed_current(spec, entry, image)
    )


def completed(entry: Mapping[str, Any]) -> bool:
    """Whether a container listing ``entry`` shows a container that exited 0 (a oneshot's done)."""
    return entry.get("State") == "exited" and (entry.get("Status") or "").startswith("Exited (0)")


def listed_result(name: str, entry: Mapping[str, Any]) -> ContainerResult:
    """The result of converging a container that a listing shows running (a oneshot's: done) and current
    (drift.listed_current) to started: nothing done, and what the listing says of it."""
    return {
        "changed": False,
        "actions": [],
        "reasons": [],
        "raced": [],
        "container": {
            "id": entry["Id"],
            "name": name,
            "state": entry.get("State") or "running",
            "image_id": entry.get("ImageID"),
            "started_at": None,
        },
        "diff": {},
        "kept": [],
        "rolled_back": None,
    }


def headed_diffs(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The diffs of instance results (each naming its ``instance``), each headed by its instance: what a
    run's ``--diff`` shows, one per changed container."""
    return [dict(r["diff"], before_header=r["instance"], after_header=r["instance"]) for r in results if r.get("diff")]


def state_of(inspect: Optional[Mapping[str, Any]]) -> str:
    """'absent', 'running', or Docker's status of a stopped container ('exited', 'created', ...)."""
    if inspect is None:
        return "absent"
    state = inspect["State"]
    return "running" if state.get("Running") else state.get("Status") or "exited"


class ContainerManager:
    """Brings the container of one instance spec to a state on its ship.

    Only the low-level APIClient is used; in check mode no mutating call is made.
    """

    def __init__(
        self,
        client: APIClient,
        spec: InstanceSpec,
        check_mode: bool = False,
        start_grace: Optional[float] = START_GRACE,
        image_cache: Optional[dict] = None,
        registries: Optional[Mapping[str, Registry]] = None,
        defer_grace: bool = False,
        adopt: bool = False,
        keep_previous: bool = False,
        wait_healthy: bool = True,
    ):
        self.client = client
        self.spec = spec
        self.check_mode = check_mode
        # The environment's registries (the model's form): the retry policy of a pull.
        self.registries = registries
        # Seconds a container without running checks must survive after its start (0: one
        # inspect right after it). defer_grace leaves that check of a container created or
        # started to the caller (the orchestrator checks a whole step at once); a replacement
        # always proves its new container itself, before the old one goes.
        self.start_grace = start_grace or 0
        self.defer_grace = defer_grace
        # adopt: take over a container with the instance's name that this environment did not make.
        self.adopt = adopt
        # keep_previous: a replacement keeps the previous container aside once the new one is ready,
        # until finish() (or revert()): the orchestrator's rollouts, which roll back a whole service.
        self.keep_previous = keep_previous
        # wait_healthy: a container whose healthcheck gates readiness is ready once healthy (off: running is enough).
        self.wait_healthy = wait_healthy
        # {image: inspect or None} shared by the managers of one ship and run: one image
        # inspect per image instead of one per container.
        self.image_cache = image_cache if image_cache is not None else {}
        self.name = spec["name"]
        self.ship = spec.get("ship") or "local"
        # The latest inspect (None when absent or only "would create").
        self.container: Optional[dict[str, Any]] = None
        self.image: Optional[dict[str, Any]] = None
        self.state: Optional[str] = None
        self.initial_state: Optional[str] = None
        self.drift: list[Difference] = []
        self.changed = False
        self.actions: list[str] = []
        self.raced: list[str] = []  # what another run did to this container while we converged it
        # The containers kept aside (kind -> {"Id": ...} or None), as last read or left by a step.
        self.aside: dict[str, Optional[dict]] = {}
        self.kept: list[str] = []  # the anonymous volumes' paths a replacement carried over
        # {path: volume} of a container removed before this one is created (the orchestrator's
        # stale-task escape): the new container gets them, as a replacement's does.
        self.carry: dict[str, str] = {}
        self.rolled_back: Optional[str] = None  # the id of the previous container a failure went back to

    # -- public ---------------------------------------------------------------------

    def converge(
        self,
        state: str,
        refresh: bool = False,
        only_if_stopped: bool = False,
        listed: Any = NOT_LISTED,
        aside: Optional[Mapping[str, Optional[dict]]] = None,
    ) -> ContainerResult:
        """Reach ``state``; return {changed, actions, reasons, container, diff, kept, rolled_back}.

        refresh: pull the image first (started/restarted).
        only_if_stopped: with absent, leave a running container alone (MaestroNG's clean).
        listed: what a container listing just said of it (None: no container), which spares
        the inspect when that is all this state needs (all but an existing container to start).
        aside: what the same listing said of its containers kept aside (aside_of); None: one listing
        says (and, without ``listed``, says whether the container is there).
        """
        if state not in CONTAINER_STATES:
            raise ContainerError("%s: unknown state %r" % (self.name, state))
        with self._errors():
            for attempt in range(1, RACE_ATTEMPTS + 1):
                if aside is not None and attempt == 1:
                    self.aside = dict(aside)
                else:
                    # One listing says what is kept aside, and (first) whether the container is there.
                    found = containers_by_name(self.client, [self.name])
                    self.aside = aside_of(found, self.name, self.spec["environment"])
                    if attempt == 1 and listed is NOT_LISTED:
                        listed = found.get(self.name)
                if self.aside.get(KEPT_PREVIOUS):
                    # A replacement was interrupted (a crash, a lost ship): finish or undo it first.
                    listed = NOT_LISTED
                    self._resume(state)
                    if self.check_mode:
                        return self.result()
                elif attempt == 1 and self._current(state, refresh, listed):
                    # Running, and created from these very settings: nothing to do, no inspect.
                    return self.result()
                if attempt > 1 or listed is NOT_LISTED or (listed is not None and state in ("started", "restarted")):
                    self.container = self._inspect_container()
                else:
                    self.container = _listed_container(listed)
                self.state = state_of(self.container)
                if attempt == 1:
                    self.initial_state = self.state
                try:
                    self._check_ours()
                    self._reach(state, refresh, only_if_stopped)
                    break
                except APIError as exc:
                    # Level-triggered: another run got there first; read the container
                    # again and converge from what is really there.
                    race = race_of(exc)
                    if race is None or self.check_mode or attempt == RACE_ATTEMPTS:
                        raise
                    self.raced.append(race)
                    time.sleep(RACE_WAIT * attempt)
        return self.result()

    def _current(self, state, refresh, listed):
        if state == "started" and unchanged(self.spec, listed, self._inspect_image(), self.aside, refresh):
            self.container = _listed_container(listed)
            self.state = self.initial_state = state_of(self.container)
            return True
        return False

    def _check_ours(self):
        """Refuse, before any change, a container with the instance's name that is not ours."""
        if self.container is None or self.adopt:
            return
        owner = stranger(self.container, self.spec["environment"], self.name)
        if owner is not None:
            raise ContainerError(refusal(self.name, self.ship, owner))

    def _reach(self, state, refresh, only_if_stopped):
        if state in ("started", "restarted"):
            self._converge_running(refresh, restart=state == "restarted")
        elif state in ("stopped", "killed") and self.state == "running":
            self._stop(kill=state == "killed")
        elif state == "absent":
            if self.state == "running" and not only_if_stopped:
                self._stop()
            if self.state != "running":
                # Clean and absent remove the instance whole: what a replacement kept aside too.
                for kind in (KEPT_FAILED, KEPT_PREVIOUS):
                    if self.aside.get(kind):
                        self._remove_aside(kind, volumes=True)
                if self.state != "absent":
                    self._remove()

    def run_checks(self, state: str) -> None:
        """Run the spec's lifecycle checks of ``state``; raise ContainerError on failure."""
        checks = (self.spec.get("lifecycle") or {}).get(state) or []
        if not checks or self.check_mode:
            return
        with self._errors():
            if self.container is None:
                self.container = self._inspect_container()
            if self.container is None:
                raise ContainerError("%s: no container to run %s checks on" % (self.name, state))
            expect_running = {"running": True, "stopped": False}.get(state)
            failures = _run_checks(checks, self.spec, self.client, self.container["Id"], expect_running)
            if failures:
                message = "%s: %s checks failed: %s" % (self.name, state, "; ".join(failures))
                if state == "running":
                    self.container = self.client.inspect_container(self.container["Id"])
                    message += self._exit_details()
                raise ContainerError(message)

    def result(self) -> ContainerResult:
        """What has been done so far, in the shape converge() returns."""
        container: dict[str, Any] = self.container or {}
        before = {d.setting: d.before for d in self.drift}
        after = {d.setting: d.after for d in self.drift}
        if self.state != self.initial_state:
            before["state"], after["state"] = self.initial_state, self.state
        return {
            "changed": self.changed,
            "actions": list(self.actions),
            "reasons": [d.reason for d in self.drift],
            "raced": list(dict.fromkeys(self.raced)),
            "container": {
                "id": container.get("Id"),
                "name": self.name,
                "state": self.state,
                "image_id": None if self.state == "absent" else container.get("Image") or (self.image or {}).get("Id"),
                "started_at": (container.get("State") or {}).get("StartedAt"),
            },
            "diff": {"before": before, "after": after} if before or after else {},
            "kept": list(self.kept),
            "rolled_back": self.rolled_back,
        }

    # -- steps ------------------------------------------------------------------------

    @contextmanager
    def _errors(self):
        """Docker errors become a ContainerError carrying the result so far; lost
        connections become ShipUnreachable."""
        with connection_errors(self.ship, getattr(self.client, "docker_url", self.client.base_url)):
            try:
                yield
            except DockerException as exc:
                raise ContainerError("%s: %s" % (self.name, error_text(exc)), self.result()) from exc
            except ContainerError as exc:
                exc.result = self.result()
                raise

    def _do(self, action, detail="", call=None, *args, **kwargs):
        """Make an action's API call, unless in check mode, and record it once done."""
        done = call(*args, **kwargs) if call is not None and not self.check_mode else None
        self.changed = True
        self.actions.append((_WOULD[action] if self.check_mode else action) + detail)
        return done

    def _inspect_container(self):
        try:
            return self.client.inspect_container(self.name)
        except NotFound:
            return None

    def _inspect_image(self, fresh=False):
        name = self.spec["image"]
        if fresh or name not in self.image_cache:
            self.image_cache[name] = image_inspect(self.client, name)
        return self.image_cache[name]

    def _pull(self, missing):
        image = self.spec["image"]
        if not self.check_mode:
            try:
                # With the credentials and retry policy of the environment's registries, if any.
                retries = registries.pull(self.client, image, self.registries)
            except (DockerException, ContainerError) as exc:
                what = registries.failed_pull(image, self.ship, missing)
                raise ContainerError("%s: %s: %s" % (self.name, what, error_text(exc))) from exc
            self.image = self._inspect_image(fresh=True)
        self._do("pulled image", "" if self.check_mode else registries.retries_detail(retries))

    def _converge_running(self, refresh, restart):
        self._converge_to_running(refresh, restart)
        if not self.keep_previous:
            self._drop_evidence()

    def _converge_to_running(self, refresh, restart):
        self.image = self._inspect_image()
        if refresh or self.image is None:
            self._pull(missing=self.image is None)
        if self.container is not None:
            self.drift = differences(self.spec, self.resolved_container(), self.image)
        if self.container is None:
            self._create()
            self._start_created()
            return
        if self.drift:
            self._replace()
            return
        if self.state == "running":
            if self._oneshot() and not restart:
                self._wait_for_completion()  # a run that was interrupted while it ran
                return
            if not restart:
                return
            self._stop()
        elif (
            self._oneshot() and not restart and self.state == "exited" and self.container["State"].get("ExitCode") == 0
        ):
            return  # done, and made from these very settings: it runs again with restart
        # No drift and not running: start the existing container. MaestroNG removes and
        # recreates it instead, but the same config gives the same container, faster.
        self._start()

    def _start_created(self):
        """Start a container just created; one that never ran (the daemon refused to start it: a network
        or a user the ship lacks, or its pre-start checks failed) goes again, so no half-made container
        stays behind (with its own anonymous volumes, new and empty; the volumes it was given stay)."""
        try:
            self._start()
        except (ContainerError, DockerException):
            if self.state == "created" and not self.check_mode:
                self._do("removed", " (it could not start)", self.client.remove_container, self._id(), v=True)
                self.container, self.state = None, "absent"
            raise

    def _drop_evidence(self):
        """The instance matches the file and runs: the evidence of a change that was rolled back goes."""
        if self.aside.get(KEPT_FAILED):
            self._remove_aside(KEPT_FAILED)

    # -- a replacement ------------------------------------------------------------------

    def _replace(self):
        """Replace the drifted container: see the module's docstring."""
        reasons = "; ".join(d.reason for d in self.drift)
        old = self.container
        volumes = anonymous(old, self.spec)
        if self.state == "running":
            self._stop()
        self._crash_point("stopped")
        self._set_aside(KEPT_PREVIOUS, " (%s)" % reasons)
        self._crash_point("aside")
        self.kept = sorted(set(volumes) & wanted_paths(self.spec, self.image))
        try:
            self._create(binds=carried_binds(volumes, self.kept), detail=self._kept_detail())
            self._crash_point("created")
            self._start(prove=True)
            self._crash_point("started")
        except (ContainerError, DockerException) as failure:
            if isinstance(failure, APIError) and race_of(failure):
                raise  # another run changed it: converge() reads it again and resumes from there
            self._roll_back(
                ContainerError("%s: %s" % (self.name, error_text(failure)))
                if isinstance(failure, DockerException)
                else failure
            )
        self._crash_point("ready")
        if not self.keep_previous:
            self.finish()

    def _kept_detail(self):
        return " (with the volumes at %s)" % ", ".join(self.kept) if self.kept else ""

    def finish(self) -> ContainerResult:
        """After a replacement proved ready: the previous container goes, and the failed one of an
        earlier change (their volumes stay: the new container has them)."""
        with self._errors():
            for kind in (KEPT_PREVIOUS, KEPT_FAILED):
                if self.aside.get(kind):
                    self._remove_aside(kind)
        return self.result()

    def revert(self, why: str) -> ContainerResult:
        """Undo a replacement that proved ready (kept with keep_previous) because the rollout of its
        service failed elsewhere: the new container goes, the previous one comes back and runs."""
        with self._errors():
            previous = self.aside.get(KEPT_PREVIOUS)
            if previous is None:
                raise ContainerError("%s: nothing to revert to" % self.name)
            self._stop_quietly()
            self._do("removed", " (the new container: %s)" % why, self.client.remove_container, self._id())
            self.container = None
            self._restore()
            self.rolled_back = previous["Id"]
        return self.result()

    def _roll_back(self, failure):
        """The new container failed to prove ready: keep it stopped as evidence, give the previous
        one its name back and start it; then fail, saying why and to which container."""
        previous = self.aside[KEPT_PREVIOUS]
        why = str(failure)
        try:
            if not self.check_mode:
                self.container = self._inspect_container() or self.container
                self.state = state_of(self.container)
                if "log lines" not in why:  # a container that runs but failed its checks: what it said
                    why += self._log_tail()
            if self.container is not None:  # there is a new container (its create may have failed)
                self._stop_quietly()
                if self.aside.get(KEPT_FAILED):
                    self._remove_aside(KEPT_FAILED)
                self._set_aside(KEPT_FAILED, " (as evidence)")
            self._crash_point("failed-aside")
            self._restore()
            self._crash_point("restored")
        except (DockerException, ContainerError) as exc:
            raise ContainerError(
                "%s; rolling back to its previous container %s failed too: %s"
                % (why, short_id(previous["Id"]), exc.args[0] if exc.args else exc)
            ) from exc
        self.rolled_back = previous["Id"]
        raise ContainerError(
            "%s; rolled back to its previous container %s (the new one is kept stopped as %s)"
            % (why, short_id(previous["Id"]), aside_name(self.name, KEPT_FAILED))
        )

    def _resume(self, state):
        """A container kept aside as KEPT_PREVIOUS means a replacement did not finish. For start-like
        commands the instance's own container, if it is there and matches the file, is the new one:
        it is proven and the previous one goes, or it fails and is rolled back. Otherwise (another
        command, or no such container) the previous one, the last known to work, gets its name back."""
        self.container = self._inspect_container()
        self.state = self.initial_state = state_of(self.container)
        start_like = state in ("started", "restarted")
        if self.container is not None:
            self._check_ours()
            self.image = self._inspect_image()
            if start_like and not differences(self.spec, self.resolved_container(), self.image):
                try:
                    if self.state == "running":
                        self._prove()
                    else:
                        self._start(prove=True)
                except ContainerError as failure:
                    self._roll_back(failure)
                self.finish()
                return
            self._stop_quietly()
            self._do("removed", " (an unfinished replacement's)", self.client.remove_container, self._id())
            self.container = None
        self._restore(start=False)

    def _set_aside(self, kind, detail=""):
        """Rename the instance's container to its name as ``kind`` (the instance has none then)."""
        name = aside_name(self.name, kind)
        self._do("kept aside", " as %s%s" % (name, detail), self.client.rename, self._id(), name)
        self.aside[kind] = {"Id": self._id()}
        self.container = None

    def _restore(self, start=True):
        """Give the previous container its name back (and start it, and see that it runs)."""
        previous = self.aside[KEPT_PREVIOUS]
        self._do("restored", " %s" % short_id(previous["Id"]), self.client.rename, previous["Id"], self.name)
        self.aside[KEPT_PREVIOUS] = None
        self.container = {"Id": previous["Id"], "State": {"Running": False, "Status": "exited"}}
        self.state = "exited"
        if start and not self.check_mode and not self._oneshot():  # a oneshot's previous run is not run again
            self._do("started", "", self.client.start, self._id())
            self.state = "running"
            self.verify_running()

    def _remove_aside(self, kind, volumes=False):
        entry = self.aside[kind]
        what = "the previous container" if kind == KEPT_PREVIOUS else "the failed container of an earlier change"
        self._do("removed", " %s" % what, self.client.remove_container, entry["Id"], v=volumes)
        if volumes and not self.check_mode:
            self._remove_carried_volumes(entry)
        self.aside[kind] = None

    def _stop_quietly(self):
        """Stop the container without its lifecycle checks (a failed or unwanted new one)."""
        if self.state == "running":
            self._do("stopped", "", self.client.stop, self._id(), timeout=stop_timeout(self.spec))
            self.state = "exited"

    def _crash_point(self, step):
        if not self.check_mode and os.environ.get(CRASH_AT) == step:
            os.kill(os.getpid(), signal.SIGKILL)

    def resolved_container(self) -> Optional[dict[str, Any]]:
        """The inspect, with "container:<id>" network modes turned back into the name
        the spec uses when that name still points at the same container."""
        if self.container is None:
            return None
        mode = (self.container.get("HostConfig") or {}).get("NetworkMode") or ""
        wanted = self.spec.get("network_mode") or ""
        if not (mode.startswith("container:") and wanted.startswith("container:")) or mode == wanted:
            return self.container
        try:
            target = self.client.inspect_container(wanted.partition(":")[2])["Id"]
        except NotFound:
            return self.container
        if mode != "container:" + target:
            return self.container
        host_config = dict(self.container["HostConfig"], NetworkMode=wanted)
        return dict(self.container, HostConfig=host_config)

    def _create(self, binds=(), detail=""):
        """Create the container; ``binds``: anonymous volumes of a container it replaces (volumes.py),
        mounted besides what the file says (they are not part of its settings, nor of its digest)."""
        if not binds and self.carry:
            self.kept = sorted(set(self.carry) & wanted_paths(self.spec, self.image))
            binds, detail = carried_binds(self.carry, self.kept), self._kept_detail()
        desired = desired_config(self.spec)
        if self.check_mode:
            self._do("created", detail)
        else:
            desired["create"]["labels"][LABEL_DIGEST] = config_digest(desired, self.spec)
            desired["host_config"]["binds"] = desired["host_config"]["binds"] + list(binds)
            host_config = self.client.create_host_config(**desired["host_config"])
            created = self._do("created", detail, self._create_container, host_config, desired["create"])
            self.container = {
                "Id": created["Id"],
                "Image": (self.image or {}).get("Id"),
                "State": {"Running": False, "Status": "created"},
            }
        self.state = "created"

    def _create_container(self, host_config, create):
        check = create.get("healthcheck") or {}
        if "start_interval" not in check:
            return self.client.create_container(host_config=host_config, **create)
        # The docker SDK (7.1) drops a healthcheck's StartInterval: the config is made, then completed.
        from docker.utils import format_environment

        create = dict(create, healthcheck={k: v for k, v in check.items() if k != "start_interval"})
        create["environment"] = format_environment(create["environment"])
        name = create.pop("name")
        config = self.client.create_container_config(host_config=host_config, **create)
        config["Healthcheck"]["StartInterval"] = check["start_interval"]
        return self.client.create_container_from_config(config, name)

    def _start(self, prove=False):
        """Start the container, then see it ready (unless the caller does: defer_grace);
        ``prove``: always here (a replacement's new container)."""
        self.run_checks("pre-start")
        self._do("started", "", self.client.start, self._id())
        self.state = "running"
        if self.check_mode:
            return
        if prove or self.proves_ready() or not self.defer_grace:
            self._prove()

    def _prove(self):
        """The container must survive its running checks, or start_grace without any; and turn healthy
        when its healthcheck gates readiness (health.py). A oneshot's must exit 0."""
        if self._oneshot():
            self._wait_for_completion()
            return
        if self._has_running_checks():
            self.run_checks("running")
        elif self.start_grace > 0 and not self._waits_for_health():
            self._wait_for_early_exit()
        if self._waits_for_health():
            self.container = health.wait_healthy(
                self.client, self._id(), self.name, self.spec["healthcheck"] or {}, self.image
            )
        self.verify_running()

    def _oneshot(self) -> bool:
        return self.spec.get("oneshot") is not None

    def _wait_for_completion(self):
        """A oneshot's container must exit 0 within its timeout; what it said when it did not."""
        timeout = float(self.spec.get("oneshot") or 0)
        try:
            self.client.wait(self._id(), timeout=timeout)
        except TRANSPORT_ERRORS as exc:
            if "timed out" not in str(exc).lower():
                raise
            raise ContainerError(
                "%s: still running after %.0fs, its oneshot timeout%s" % (self.name, timeout, self._log_tail()),
                self.result(),
            ) from None
        self.container = self.client.inspect_container(self._id())
        self.state = state_of(self.container)
        if self.container["State"].get("ExitCode") != 0:
            raise ContainerError("%s: the oneshot failed%s" % (self.name, self._exit_details()), self.result())

    def _waits_for_health(self) -> bool:
        return self.wait_healthy and health.gates(self.spec.get("healthcheck"), self.image)

    def _has_running_checks(self) -> bool:
        return bool((self.spec.get("lifecycle") or {}).get("running"))

    def proves_ready(self) -> bool:
        """Whether it proves itself ready (running checks, a oneshot's exit, a healthcheck it waits for),
        rather than by start_grace alone (which the orchestrator checks a whole step at once)."""
        return self._has_running_checks() or self._oneshot() or self._waits_for_health()

    def verify_running(self) -> None:
        """Raise ContainerError, with the exit code and last log lines, unless it runs."""
        self.container = self.client.inspect_container(self._id())
        if not self.container["State"]["Running"]:
            self.state = state_of(self.container)
            raise ContainerError(
                "%s: container is not running after start%s" % (self.name, self._exit_details()), self.result()
            )

    def _wait_for_early_exit(self):
        try:
            self.client.wait(self._id(), timeout=self.start_grace, condition="not-running")
        except TRANSPORT_ERRORS as exc:
            # The read timeout means it is still running, which is what we hope for.
            if "timed out" not in str(exc).lower():
                raise

    def _stop(self, kill=False):
        if kill:
            self._do("killed", "", self.client.kill, self._id())
        else:
            self.run_checks("pre-stop")
            self._do("stopped", "", self.client.stop, self._id(), timeout=stop_timeout(self.spec))
        self.state = "exited"
        self.run_checks("stopped")

    def _remove(self):
        """Remove the container with its anonymous volumes, as MaestroNG does (those a replacement
        carried over are named mounts to Docker, so they are removed here)."""
        self._do("removed", "", self.client.remove_container, self._id(), v=True)
        if not self.check_mode:
            self._remove_carried_volumes(self.container)
        self.state = "absent"
        self.container = None

    def _remove_carried_volumes(self, container):
        mounts = container.get("Mounts")
        for name in sorted(anonymous({"Mounts": mounts or []}, self.spec).values()):
            try:
                self.client.remove_volume(name)
            except NotFound:
                pass  # an anonymous volume of its own, which the daemon removed with it
            except APIError as exc:
                if getattr(exc, "status_code", None) != 409:  # in use by another container: it stays
                    raise

    def _id(self):
        return self.container["Id"] if self.container else None

    def _exit_details(self):
        """Exit code and last log lines of the (inspected) container if it stopped."""
        state = self.container["State"]
        if state.get("Running"):
            return ""
        other = ": %s" % RACE_STOPPED if self._stopped_through_api() else ""
        try:
            logs = self._last_logs()
        except DockerException as exc:  # e.g. removed meanwhile
            return "%s (exit code %s; no logs: %s)" % (other, state.get("ExitCode"), error_text(exc))
        return "%s (exit code %s); last %d log lines:\n%s" % (other, state.get("ExitCode"), LOG_TAIL, logs)

    def _log_tail(self):
        """What a container that runs but failed its checks said (nothing when it cannot be read)."""
        try:
            logs = self._last_logs()
        except DockerException:
            return ""
        return "; last %d log lines:\n%s" % (LOG_TAIL, logs) if logs else "; it logged nothing"

    def _last_logs(self):
        return self.client.logs(self._id(), tail=LOG_TAIL).decode("utf-8", "replace").rstrip()

    def _stopped_through_api(self):
        """True when a stop or kill through the Docker API (another run, or a user) ended the
        container since its last start, rather than its own command: the daemon's events say so."""
        started = (self.container["State"].get("StartedAt") or "")[:19]
        try:
            since = calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%S"))
            events = self.client.events(
                since=since,
                until=int(time.time()) + 1,
                decode=True,
                filters={"type": "container", "container": self._id(), "event": ["stop", "kill"]},
            )
            return any(True for _event in events)
        except (ValueError, DockerException):
            return False
