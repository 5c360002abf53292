# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One service's replacements in a run, batch by batch, as its ``update:`` says (model/update_section.py).

Each replacement is the container manager's transaction (docker/container.py): a new container that
fails to prove ready is rolled back on its own. Here the previous containers of a service stay
aside until its whole rollout is done, so a failed batch can do what the service asks: ``rollback``
(the replaced instances of earlier batches go back to their previous containers too), ``pause``
(no further batch; what is done stays) or ``continue``. Then the previous containers go.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Mapping, Optional, cast

from ..model import update_section
from .runner import blank_result

if TYPE_CHECKING:
    from ..docker.container import ContainerManager
    from ..records import InstanceResult, InstanceSpec, Update
    from .runner import Action

RunEach = Callable[[list, "Action"], list]


class Rollout:
    """The replacements of ``names`` (instances of ``service``, in order) with ``policy``.

    ``replace(spec)`` converges one instance keeping its previous container aside and returns
    (its manager, its result); ``run_each(names, action)`` runs an action on instances at once;
    ``interrupted()`` tells whether the run stops.
    """

    def __init__(
        self,
        service: str,
        names: list[str],
        specs: Mapping[str, InstanceSpec],
        policy: Update,
        size: int,
        replace: Callable[[InstanceSpec], tuple[Optional[ContainerManager], InstanceResult]],
        run_each: RunEach,
        interrupted: Callable[[], object],
        check_mode: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.service = service
        self.names = names
        self.specs = specs
        self.policy = policy
        self.size = size
        self._replace = replace
        self._run_each = run_each
        self._interrupted = interrupted
        self.check_mode = check_mode
        self._sleep = sleep
        self.managers: dict[str, ContainerManager] = {}

    def describe(self) -> str:
        """``3 instances, 1 at a time, rollback on failure``."""
        count = len(self.names)
        return "%d instance%s, %d at a time, %s on failure" % (
            count,
            "" if count == 1 else "s",
            self.size,
            self.policy["failure_action"],
        )

    def run(self) -> list[InstanceResult]:
        results: dict[str, InstanceResult] = {}
        done: list[str] = []  # replaced and ready, their previous containers still aside
        stopped = None  # why no further batch runs
        batches = update_section.batches(self.names, self.size)
        for index, batch in enumerate(batches):
            if stopped is None and index and self.policy["delay"] and not self.check_mode:
                self._sleep(float(self.policy["delay"]))
            if stopped is None and self._interrupted():  # (also during the delay)
                stopped = "interrupted (%s)" % self._interrupted()
            if stopped is not None:
                for name in batch:
                    results[name] = blank_result(self.specs[name], skipped=True, msg="not run: %s" % stopped)
                continue
            for result in self._run_each(batch, self._one):
                result["rollout"] = {"batch": index + 1, "of": len(batches), "size": self.size}
                results[result["instance"]] = result
            failed = [name for name in batch if results[name]["failed"]]
            done += [name for name in batch if not results[name]["failed"] and name in self.managers]
            if failed and self.policy["failure_action"] != "continue":
                stopped = "the rollout of %s stopped: %s failed" % (self.service, ", ".join(failed))
                if self.policy["failure_action"] == "rollback":
                    self._revert(done, results, stopped)
                    done = []
        self._finish(done, results)
        return [results[name] for name in self.names]

    def _one(self, spec: InstanceSpec) -> InstanceResult:
        manager, result = self._replace(spec)
        if manager is not None:  # None: nothing was converged (a plan said "none")
            self.managers[spec["name"]] = manager
        return result

    def _revert(self, names: list[str], results: dict[str, InstanceResult], why: str) -> None:
        def revert(spec: InstanceSpec) -> InstanceResult:
            outcome = dict(self.managers[spec["name"]].revert(why))
            outcome.pop("diff", None)
            return outcome  # type: ignore[return-value]

        for reverted in self._run_each(names, revert):
            result = results[reverted["instance"]]
            result["actions"] = reverted["actions"]
            result["failed"] = True
            result["rolled_back"] = reverted.get("rolled_back")
            result["msg"] = reverted.get("msg") or "%s: %s; rolled back to its previous container %s" % (
                reverted["instance"],
                why,
                (reverted.get("rolled_back") or "?")[:12],
            )

    def _finish(self, names: list[str], results: dict[str, InstanceResult]) -> None:
        def finish(spec: InstanceSpec) -> InstanceResult:
            return cast("InstanceResult", self.managers[spec["name"]].finish())

        for finished in self._run_each(names, finish):
            result = results[finished["instance"]]
            result["actions"] = finished["actions"]
            if finished["failed"]:
                result["failed"] = True
                result["msg"] = finished["msg"]
