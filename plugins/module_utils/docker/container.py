# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container on one ship to an instance spec: ``ContainerManager`` drives the
low-level Docker API (and the lifecycle checks) to reach a state, creating from desired.py's
arguments and recreating what drift.py finds drifted."""

from __future__ import annotations

import calendar
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..command_specs import CONTAINER_STATES
from ..errors import ContainerError
from . import registries
from .client import TRANSPORT_ERRORS, APIError, DockerException, NotFound, connection_errors, error_text
from .desired import LABEL_DIGEST, config_digest, desired_config, stop_timeout
from .drift import Difference, differences, listed_current
from .lifecycle import run_checks as _run_checks

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


# What each recorded action is called in check mode.
_WOULD = {
    "pulled image": "would pull image",
    "created": "would create",
    "started": "would start",
    "stopped": "would stop",
    "killed": "would kill",
    "removed": "would remove",
}


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
    }


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
    ):
        self.client = client
        self.spec = spec
        self.check_mode = check_mode
        # The environment's registries (the model's form): the retry policy of a pull.
        self.registries = registries
        # Seconds a container without running checks must survive after its start (0: one
        # inspect right after it); None leaves that check to the caller (the orchestrator
        # checks a whole level at once).
        self.start_grace = start_grace
        # {image: inspect or None} shared by the managers of one ship and run: one image
        # inspect per image instead of one per container.
        self.image_cache = image_cache
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

    # -- public ---------------------------------------------------------------------

    def converge(
        self, state: str, refresh: bool = False, only_if_stopped: bool = False, listed: Any = NOT_LISTED
    ) -> ContainerResult:
        """Reach ``state``; return {changed, actions, reasons, container, diff}.

        refresh: pull the image first (started/restarted).
        only_if_stopped: with absent, leave a running container alone (MaestroNG's clean).
        listed: what a container listing just said of it (None: no container), which spares
        the inspect when that is all this state needs (all but an existing container to start).
        """
        if state not in CONTAINER_STATES:
            raise ContainerError("%s: unknown state %r" % (self.name, state))
        with self._errors():
            if (
                listed not in (None, NOT_LISTED)
                and state == "started"
                and not refresh
                and listed.get("State") == "running"
                and listed_current(self.spec, listed, self._inspect_image())
            ):
                # Running, and created from these very settings: nothing to do, no inspect.
                self.container = _listed_container(listed)
                self.state = self.initial_state = "running"
                return self.result()
            for attempt in range(1, RACE_ATTEMPTS + 1):
                if attempt > 1 or listed is NOT_LISTED or (listed is not None and state in ("started", "restarted")):
                    self.container = self._inspect_container()
                else:
                    self.container = _listed_container(listed)
                self.state = state_of(self.container)
                if attempt == 1:
                    self.initial_state = self.state
                try:
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

    def _reach(self, state, refresh, only_if_stopped):
        if state in ("started", "restarted"):
            self._converge_running(refresh, restart=state == "restarted")
        elif state in ("stopped", "killed") and self.state == "running":
            self._stop(kill=state == "killed")
        elif state == "absent" and self.state != "absent":
            if self.state == "running" and not only_if_stopped:
                self._stop()
            if self.state != "running":
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
        cache = self.image_cache if self.image_cache is not None else {}
        if fresh or name not in cache:
            try:
                cache[name] = self.client.inspect_image(name)
            except NotFound:
                cache[name] = None
        return cache[name]

    def _pull(self, missing):
        image = self.spec["image"]
        if not self.check_mode:
            try:
                # With the credentials and retry policy of the environment's registries, if any.
                retries = registries.pull(self.client, image, self.registries)
            except (DockerException, ContainerError) as exc:
                if missing:
                    what = "image %s not found on ship %s and pull failed" % (image, self.ship)
                else:
                    what = "pulling image %s on ship %s failed" % (image, self.ship)
                raise ContainerError("%s: %s: %s" % (self.name, what, error_text(exc))) from exc
            self.image = self._inspect_image(fresh=True)
        self._do("pulled image", " (%s)" % "; ".join(retries) if not self.check_mode and retries else "")

    def _converge_running(self, refresh, restart):
        self.image = self._inspect_image()
        if refresh or self.image is None:
            self._pull(missing=self.image is None)
        if self.container is not None:
            self.drift = differences(self.spec, self.resolved_container(), self.image)
        if self.container is None:
            self._create()
        elif self.drift:
            if self.state == "running":
                self._stop()
            self._remove(" (%s)" % "; ".join(d.reason for d in self.drift))
            self._create()
        elif self.state == "running":
            if not restart:
                return
            self._stop()
        # No drift and not running: start the existing container. MaestroNG removes and
        # recreates it instead, but the same config gives the same container, faster.
        self._start()

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

    def _create(self):
        desired = desired_config(self.spec)
        if self.check_mode:
            self._do("created")
        else:
            desired["create"]["labels"][LABEL_DIGEST] = config_digest(desired)
            host_config = self.client.create_host_config(**desired["host_config"])
            created = self._do(
                "created", "", self.client.create_container, host_config=host_config, **desired["create"]
            )
            self.container = {
                "Id": created["Id"],
                "Image": (self.image or {}).get("Id"),
                "State": {"Running": False, "Status": "created"},
            }
        self.state = "created"

    def _start(self):
        self.run_checks("pre-start")
        self._do("started", "", self.client.start, self._id())
        self.state = "running"
        if self.check_mode:
            return
        # The container must survive its running checks, or start_grace without any.
        if self.has_running_checks():
            self.run_checks("running")
        elif self.start_grace is None:
            return
        elif self.start_grace > 0:
            self._wait_for_early_exit()
        self.verify_running()

    def has_running_checks(self) -> bool:
        return bool((self.spec.get("lifecycle") or {}).get("running"))

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

    def _remove(self, detail=""):
        self._do("removed", detail, self.client.remove_container, self._id(), v=True)
        self.state = "absent"
        self.container = None

    def _id(self):
        return self.container["Id"] if self.container else None

    def _exit_details(self):
        """Exit code and last log lines of the (inspected) container if it stopped."""
        state = self.container["State"]
        if state.get("Running"):
            return ""
        other = ": %s" % RACE_STOPPED if self._stopped_through_api() else ""
        try:
            logs = self.client.logs(self._id(), tail=LOG_TAIL).decode("utf-8", "replace").rstrip()
        except DockerException as exc:  # e.g. removed meanwhile
            return "%s (exit code %s; no logs: %s)" % (other, state.get("ExitCode"), error_text(exc))
        return "%s (exit code %s); last %d log lines:\n%s" % (other, state.get("ExitCode"), LOG_TAIL, logs)

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
