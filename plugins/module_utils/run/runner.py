# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one piece of work per instance, in parallel across and within ships, bounded.

The orchestrator's executor: it knows ships, threads, the run's bounds on operations at once
(over the whole run, and per ship), Ctrl-C and how a Docker error becomes an instance's result,
and nothing of commands, steps or keep_going (orchestrate.py decides those). ``connect_ship`` is
the seam: a function from a ship to its Docker API client (docker_client.connect; the unit tests
give a fake).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, cast

from ..defaults import MAX_THREADS, SHIP_CONCURRENCY
from ..docker import registries
from ..docker.client import DockerException, ShipUnreachable, connect, connection_errors, containers_by_name, error_text
from ..docker.container import aside_of
from ..errors import ContainerError

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import InstanceResult, InstanceSpec, Ship

# What a run does to one instance: its outcome, merged into its result (blank_result).
Action = Callable[["InstanceSpec"], "InstanceResult"]


def blank_result(spec: InstanceSpec, **outcome: Any) -> InstanceResult:
    """An instance's result before anything was done to it, with ``outcome`` on top."""
    result: InstanceResult = {
        "instance": spec["name"],
        "service": spec["service"],
        "ship": spec["ship"],
        "changed": False,
        "failed": False,
        "actions": [],
        "reasons": [],
    }
    result.update(cast("InstanceResult", outcome))
    return result


class Runner:
    """The ships of one environment, for one run: their clients, the ships found down, the bounds
    on operations at once, and whether the run was interrupted.

    ``concurrency``: at most this many operations at once over the whole run (MaestroNG's
    ``-c``; None: no bound but the threads'); ``ship_concurrency``: at most this many on one ship,
    so a thousand instances never open a thousand connections to their daemons at once."""

    def __init__(
        self,
        env: Environment,
        connect_ship: Callable[[Ship], Any] = connect,
        concurrency: Optional[int] = None,
        ship_concurrency: int = SHIP_CONCURRENCY,
    ) -> None:
        self.env = env
        self._connect = connect_ship
        self.down: dict[str, ShipUnreachable] = {}  # ship -> why, so a dead ship is tried once
        self.interrupted: Optional[str] = None  # why no new work starts (e.g. "SIGINT")
        self._admitted: set[str] = set()  # instances in progress: an interrupt lets them finish
        self._run_slots = threading.BoundedSemaphore(concurrency) if concurrency else None
        self._ship_slots = {name: threading.BoundedSemaphore(ship_concurrency) for name in env.ships}

    def interrupt(self, why: str) -> None:
        """No new instance begins; those in progress finish (callable from a signal handler)."""
        # ansible-playbook passes a Ctrl-C (SIGINT) on and then SIGTERMs its workers as it cleans
        # up; the two can arrive either way round, and the user's own signal is the one to name.
        if not self.interrupted or (self.interrupted == "SIGTERM" and why == "SIGINT"):
            self.interrupted = why

    def admit(self, names: list[str], threads: Optional[int] = None) -> bool:
        """Mark the first batch of ``names`` (as many as run at once) as in progress, so an
        interrupt from now on lets them finish; False, admitting none, once interrupted.

        Call it before announcing the work: what was announced as starting then really runs,
        whenever the signal comes."""
        if self.interrupted:
            return False
        self._admitted.update(names[: min(threads or len(names), MAX_THREADS)])
        return True

    def release(self, names: Iterable[str]) -> None:
        """``names`` are no longer in progress (their step is done, or what ran before the run began
        was a check): an interrupt from now on spares them no more."""
        self._admitted.difference_update(names)

    @contextmanager
    def slot(self, ship_name: str) -> Iterator[None]:
        """Hold one of the run's operations at once and one of the ship's while the block runs."""
        with ExitStack() as held:
            if self._run_slots is not None:
                held.enter_context(self._run_slots)
            held.enter_context(self._ship_slots[ship_name])
            yield

    def client(self, ship_name: str) -> Any:
        """The Docker API client of a ship, logged in to the environment's registries."""
        if ship_name in self.down:
            raise self.down[ship_name]
        try:
            client = self._connect(self.env.ships[ship_name])
        except ShipUnreachable as exc:
            self.down[ship_name] = exc
            raise
        registries.login(client, getattr(self.env, "registries", None))
        return client

    def run_each(
        self, names: list[str], action: Action, threads: Optional[int] = None, before: Optional[Action] = None
    ) -> list[InstanceResult]:
        """``action(spec)`` for every instance of ``names`` at once (at most ``threads``): one
        result per instance, in order, merged into its base result; errors become its ``msg``.
        ``before(spec)``, when given, is merged first (a plan's record of the live state).
        Once interrupted, only the admitted instances (see admit) still run."""
        if not names:
            return []
        self.admit(names, threads)
        with ThreadPoolExecutor(min(threads or len(names), MAX_THREADS)) as pool:
            return list(pool.map(lambda name: self._one(name, action, before), names))

    def _one(self, name: str, action: Action, before: Optional[Action]) -> InstanceResult:
        spec = self.env.instances[name]
        if self.interrupted and name not in self._admitted:
            return blank_result(spec, skipped=True, msg="not run: interrupted (%s)" % self.interrupted)
        result = blank_result(spec)
        ship = self.env.ships[spec["ship"]]
        try:
            with self.slot(ship["name"]), connection_errors(ship["name"], ship["docker_url"]):
                if before is not None:
                    result.update(before(spec))
                result.update(action(spec))
        except ShipUnreachable as exc:
            self.down.setdefault(spec["ship"], exc)
            result.update({"failed": True, "msg": str(exc), "unreachable": True})
        except ContainerError as exc:
            result.update(cast("InstanceResult", exc.result))
            result.update({"failed": True, "msg": str(exc)})
        except DockerException as exc:
            result.update({"failed": True, "msg": "%s: %s" % (name, error_text(exc))})
        return result

    def list_containers(
        self, names: Iterable[str]
    ) -> tuple[dict[str, Optional[dict]], dict[str, dict[str, Optional[dict]]]]:
        """({instance: its container listing entry, None when it has none}, {instance: its
        containers kept aside (container.aside_of)}): one listing per ship instead of inspects per
        container. A ship whose listing fails is left out of both (its instances are then
        inspected, and a lost ship is marked down at once)."""
        by_ship: dict[str, list[str]] = {}
        for name in names:
            by_ship.setdefault(self.env.instances[name]["ship"], []).append(name)
        listed: dict[str, Optional[dict]] = {}
        aside: dict[str, dict[str, Optional[dict]]] = {}
        for ship_name, found in self.each_ship(by_ship, containers_by_name):
            for name in by_ship[ship_name] if found is not None else ():
                listed[name], aside[name] = found.get(name), aside_of(found, name, self.env.name)
        return listed, aside

    def each_ship(self, work: Mapping[str, Any], call: Callable[[Any, Any], Any]) -> list[tuple[str, Any]]:
        """[(ship, ``call(its client, work[ship])``)] for every ship of ``work`` at once; None for a ship
        that is down (found down now: marked so) or whose call failed (its instances then say why). Outside
        the bounds on operations (slot): a listing between steps must not wait for the steps' work."""

        def one(item):
            ship_name, what = item
            if ship_name in self.down:
                return ship_name, None
            try:
                with connection_errors(ship_name, self.env.ships[ship_name]["docker_url"]):
                    return ship_name, call(self.client(ship_name), what)
            except ShipUnreachable as exc:
                self.down.setdefault(ship_name, exc)
            except DockerException:
                pass
            return ship_name, None

        if not work:
            return []
        with ThreadPoolExecutor(min(len(work), MAX_THREADS)) as pool:
            return list(pool.map(one, work.items()))
