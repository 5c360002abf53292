# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a selection of an environment to a state, each step as soon as its dependencies are done.

A step (the instances of a service, model/schedule.py) begins once every step it waits for
succeeded (scheduler.py); its instances converge at once (threads across and within ships,
runner.py), but the replacements of a service, which go batch by batch (rollout.py). A failure
lets the steps in progress finish and begins no other (with keep_going: none that waits for it). A
ship that does not answer during the run fails its own instances, with its name and URL, and nothing
else. Before any change, a container with an instance's name that the environment did not make
refuses the run; so does, for start and restart, a ship that does not answer or lacks what its
instances need (preflight.py: a log driver, a network, a new enough Docker, the image, pulled there
first). Used in-process by the controller-side action plugins (no module fork per container), and
usable from any Python code.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..command_specs import COMMANDS
from ..defaults import MAX_THREADS, SHIP_CONCURRENCY
from ..docker import registries
from ..docker.client import (
    DockerException,
    ShipUnreachable,
    connect,
    connection_errors,
    error_text,
    image_id,
    image_inspect,
)
from ..docker.container import KEPT_PREVIOUS, NOT_LISTED, START_GRACE, ContainerManager, listed_result, unchanged
from ..docker.drift import listed_current
from ..docker.ownership import refusal, stranger
from ..docker.volumes import anonymous
from ..errors import ContainerError
from ..model import ordering, schedule, update_section
from ..model.selection import waits_for
from . import plans, preflight
from .report import Line, run_summary, step_end_lines, step_start_line, tone_of
from .rollout import Rollout
from .runner import Runner, blank_result
from .scheduler import run_steps as run_steps_of

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import PlanEntry, RunResult, Ship

# What starting a container whose old task outlived a daemon crash fails with.
STALE_TASK = re.compile(r"task [0-9a-f]{12,}: already exists|failed to start shim: mkdir \S*[0-9a-f]{64}: file exists")
STALE_TASK_RETRIES = 3
STALE_TASK_WAIT = 1.0
# Seconds a container listing still tells what is on a ship; a step that begins later lists again.
LISTING_FRESH = 1.0


def _one_by_one(restart_options: Mapping[str, Any]) -> bool:
    """Whether a restart goes one instance at a time (rolling, or a delay between steps)."""
    return bool(restart_options.get("rolling")) or float(restart_options.get("step_delay") or 0) > 0


class _StepRun:
    """What one run's steps share: the command and its options, and what the steps found.
    (A plain class: dataclasses would cost the command's start-up its import of inspect.)"""

    def __init__(self, command: str, options: dict, one_by_one: bool, edges: Mapping[str, list]) -> None:
        self.command = command
        self.options = options
        self.one_by_one = one_by_one
        self.edges = edges  # service -> the services it waits for (keep_going's skip rule)
        self.results: dict = {}  # instance -> its result
        self.seconds: dict = {}  # step index -> seconds it took
        self.bad: dict = {}  # service -> why what waits for it is skipped (keep_going)
        self.failed: Optional[str] = None  # the service of the first failed step
        self.preset: dict = {}  # instance -> its result, refused before the run (keep_going goes on without it)


class Orchestrator:
    """Runs one command over the selected instances of a loaded environment."""

    def __init__(
        self,
        env: Environment,
        check_mode: bool = False,
        progress: Optional[Callable[[str], None]] = None,
        refresh: bool = False,
        keep_going: bool = False,
        record_live: bool = False,
        start_grace: Optional[float] = START_GRACE,
        connect_ship: Callable[[Ship], Any] = connect,
        manager: Callable[..., ContainerManager] = ContainerManager,
        adopt: bool = False,
        update: Optional[Mapping[str, Any]] = None,
        concurrency: Optional[int] = None,
        ship_concurrency: int = SHIP_CONCURRENCY,
        wait_healthy: bool = True,
        rerun_oneshots: bool = False,
    ):
        self.env = env
        # The seams of the unit tests: a ship's Docker client, and what converges one container.
        self.runner = Runner(env, connect_ship, concurrency=concurrency, ship_concurrency=ship_concurrency)
        self._new_manager = manager
        self.check_mode = check_mode
        self.progress = progress or (lambda line: None)
        self.refresh = refresh
        # keep_going: a lost ship (or a failed instance) skips only its own instances and
        # the services that depend on them; everything else still converges.
        self.keep_going = keep_going
        # record_live: each result gets "live" (the state before the run) and "spec_digest",
        # which is what a plan needs (see make_plan).
        self.record_live = record_live
        # Seconds each started container must keep running before its dependents start
        # (see container.START_GRACE); checked once per step.
        self.start_grace = float(start_grace or 0)
        # A container whose healthcheck gates readiness is started once healthy (docker/health.py); off: once running.
        self.wait_healthy = wait_healthy
        # rerun_oneshots: a start runs a oneshot's container again even when it exited 0 and matches the file.
        self.rerun_oneshots = rerun_oneshots
        self._planned: Optional[Mapping[str, PlanEntry]] = None  # instance -> plan entry, when applying a plan
        self._reverse = False
        self._pulls: dict[Any, threading.Event] = {}
        # instance -> (manager, when) still to prove it survived its start
        self._started: dict[str, tuple] = {}
        # ship -> {image: inspect or None}: one image inspect per ship and image
        self._images: dict[str, dict[str, Optional[dict]]] = {}
        # instance -> its entry in the latest container listing (None: absent)
        self._listed: dict[str, Optional[dict]] = {}
        # instance -> its containers kept aside, from the same listing
        self._aside: dict[str, dict[str, Optional[dict]]] = {}
        # instance -> when it was listed (time.monotonic())
        self._listed_at: dict[str, float] = {}
        self._pull_lock = threading.Lock()
        # adopt: take over containers with an instance's name that the environment did not make.
        self.adopt = adopt
        # The run's own choices of how changes roll out (update_parallelism, update_delay,
        # update_failure_action), over each service's update: (model/update_section.overridden).
        self.update = dict(update or {})
        # (ship, image) pulled by this run, before any change -> the action its instances record
        self._fresh: dict[tuple[str, str], str] = {}
        # instance -> the manager of its replacement while its service's rollout goes on
        self._managers: dict[str, ContainerManager] = {}

    @property
    def interrupted(self) -> Optional[str]:
        """Why the run stops starting new work (e.g. "SIGINT"), see interrupt(); None while it goes on."""
        return self.runner.interrupted

    def interrupt(self, why: str) -> None:
        """Stop at the next instance: those in progress finish, no new one begins, and no
        further step begins (callable from a signal handler or another thread)."""
        self.runner.interrupt(why)

    # ------------------------------------------------------------------ plumbing
    def client(self, ship_name: str) -> Any:
        """A ship's Docker API client, logged in to the environment's registries."""
        return self.runner.client(ship_name)

    def _run_each(self, names, action):
        """``action`` on every instance of ``names`` at once; a plan records each one's live state first."""
        return self.runner.run_each(names, action, before=self._live_record if self.record_live else None)

    def _live_record(self, spec):
        return {"live": plans.live_state(self.client(spec["ship"]), spec), "spec_digest": plans.spec_digest(spec)}

    def _guarded(self, action):
        """Applying a plan: ``action`` as the plan allows it (plans.guarded)."""
        return action if self._planned is None else plans.guarded(action, self._planned, self.client)

    def verify_plan(self, entries: Mapping[str, PlanEntry]) -> list[str]:
        """[instance: why] for every planned instance whose live state moved (in parallel)."""
        return plans.refusals(entries, self.client, self._run_each)

    def _manager(self, spec, check_mode=None, keep_previous=False):
        # With a start_grace, run() checks a whole step at once (_verify_started), after one
        # wait; without, each container is inspected right after its own start, in its thread.
        return self._new_manager(
            self.client(spec["ship"]),
            spec,
            start_grace=self.start_grace,
            defer_grace=bool(self.start_grace),
            check_mode=self.check_mode if check_mode is None else check_mode,
            image_cache=self._images.setdefault(spec["ship"], {}),
            registries=getattr(self.env, "registries", None),
            adopt=self.adopt,
            keep_previous=keep_previous,
            wait_healthy=self.wait_healthy,
        )

    def _converge(self, spec, state, keep_previous=False, **options):
        if state == "started" and self._rerun(spec["name"]):
            state = "restarted"
        replaced = []
        carry = {}
        listed = self._listed.pop(spec["name"], NOT_LISTED)
        aside = self._aside.pop(spec["name"], None)
        for attempt in range(1, STALE_TASK_RETRIES + 3):
            manager = self._manager(spec, keep_previous=keep_previous)
            manager.carry = carry
            try:
                result = manager.converge(
                    state,
                    listed=listed if attempt == 1 else NOT_LISTED,
                    aside=aside if attempt == 1 else None,
                    **options,
                )
                break
            except ContainerError as exc:
                # A daemon restarted after a crash can still hold the container's old task
                # in containerd: starting it then fails (STALE_TASK). That may
                # clear in a moment; when it does not (dockerd restored the container as not
                # running while containerd still runs its task), only a container with a new
                # id escapes it: remove this one, and create it again.
                if replaced or self.check_mode or not STALE_TASK.search(str(exc)):
                    raise
                if attempt <= STALE_TASK_RETRIES:
                    self.progress(
                        "  %s on %s: the daemon still holds an old task (restarted after a crash?), "
                        "retrying" % (spec["name"], spec["ship"])
                    )
                    time.sleep(STALE_TASK_WAIT)
                    continue
                self.progress(
                    "  %s on %s: the daemon still holds an old task; removing the container to "
                    "create it again" % (spec["name"], spec["ship"])
                )
                # Its anonymous volumes stay, and the new container gets them, as in a replacement.
                carry = anonymous(manager.client.inspect_container(spec["name"]), spec)
                manager.client.remove_container(spec["name"], v=False, force=True)
                replaced.append("removed (the daemon held a stale task of it)")
        result["actions"] = replaced + result["actions"]
        result["changed"] = result["changed"] or bool(replaced)
        if "started" in result["actions"] and not manager.proves_ready() and self.start_grace:
            self._started[spec["name"]] = (manager, time.monotonic())
        if keep_previous:
            self._managers[spec["name"]] = manager
        return result

    def _verify_started(self, results):
        """Containers started without running checks must still run ``start_grace`` seconds
        after their start; one wait per step, from its last start (without a start_grace,
        each was inspected right after its own start)."""
        pending = {r["instance"]: self._started.pop(r["instance"]) for r in results if r["instance"] in self._started}
        if not pending or self.check_mode:
            return
        # From the step's last start, so that every container gets the whole of it.
        remaining = self.start_grace - (time.monotonic() - max(when for dummy, when in pending.values()))
        if remaining > 0:
            time.sleep(remaining)

        def survived(spec):
            manager = pending[spec["name"]][0]
            manager.verify_running()
            return {"container": manager.result()["container"]}

        verdicts = dict(zip(pending, self._run_each(list(pending), survived)))
        for result in results:
            verdict = verdicts.get(result["instance"])
            if verdict and verdict["failed"]:
                result.update({"failed": True, "msg": verdict["msg"]})
            elif verdict:
                result["container"] = verdict["container"]

    # ------------------------------------------------------------------ commands
    def run(
        self,
        command: str,
        instances: list[str],
        restart_options: Optional[Mapping[str, Any]] = None,
        planned: Optional[Mapping[str, PlanEntry]] = None,
    ) -> RunResult:
        """Apply ``command`` to ``instances`` (names, in dependency order), each step as soon as
        those it waits for are done (model/schedule.py).

        ``planned``: {instance: plan entry} to carry out a plan (see make_plan) instead.
        """
        reverse = COMMANDS[command].reverse
        self._reverse = reverse
        if planned is not None:
            self._planned = planned
            instances = [name for name in instances if name in planned]
            restart_options = dict(restart_options or {}, only_if_changed=False)
        # pull and clean need no order: everything at once.
        run_steps = schedule.steps(self.env, instances, reverse=reverse, ordered=command not in ("cleaned", "pulled"))
        one_by_one = command == "restarted" and _one_by_one(restart_options or {})
        step_run = _StepRun(command, dict(restart_options or {}), one_by_one, waits_for(self.env, reverse))
        started = time.monotonic()
        self.runner.release(instances)  # what ran before (a plan's checks) is not in progress
        refused = self._strangers(instances) if command != "pulled" else {}
        if not refused and command in ("started", "restarted"):
            refused = self._preflight(instances)
            if self.keep_going:
                for name, why in refused.items():
                    step_run.preset[name] = blank_result(self.env.instances[name], failed=True, msg=why)
                    step_run.bad.setdefault(self.env.instances[name]["service"], "%s failed" % name)
                refused = {}
        if refused:
            for name in instances:
                step_run.results[name] = (
                    blank_result(self.env.instances[name], failed=True, msg=refused[name])
                    if name in refused
                    else blank_result(self.env.instances[name], skipped=True, msg="not run: refused before any change")
                )
        else:
            never = run_steps_of(
                run_steps,
                begin=lambda indexes: self._begin(step_run, [run_steps[index] for index in indexes]),
                end=lambda index, outcome: self._end(step_run, index, run_steps[index], outcome),
                halted=lambda: bool(self.interrupted) or (step_run.failed is not None and not self.keep_going),
                # A rolling restart goes one instance at a time over the whole run.
                at_most=1 if one_by_one else None,
            )
            for index in never:
                for result in self._not_run(run_steps[index].instances, step_run.failed):
                    step_run.results[result["instance"]] = result
        results = [step_run.results[name] for step in run_steps for name in step.instances]
        summary = run_summary(command, results, time.monotonic() - started, self.check_mode, self.interrupted)
        summary["steps"] = [
            {
                "service": step.service,
                "level": step.level,
                "instances": len(step.instances),
                "changed": sum(1 for name in step.instances if step_run.results[name]["changed"]),
                "after": sorted({run_steps[other].service for other in step.after} - {step.service}),
                "seconds": round(step_run.seconds[index], 3),
            }
            for index, step in enumerate(run_steps)
            if index in step_run.seconds
        ]
        self.progress(Line(summary["summary"], tone_of(results)))
        return summary

    def _preflight(self, names):
        """{instance: the line refusing it} for what its ship lacks (preflight.py), its image not on its
        ship and not pullable, or its ship down (but with keep_going, which skips those): every ship
        asked at once, before any change. The images pulled here serve every step."""
        asked = dict(self.runner.each_ship(preflight.questions(self.env, names), preflight.ask))
        refused = preflight.refusals(self.env, names, asked)
        # A refused instance's image is not wanted; a run already refused whole reads the others', pulls none.
        failed = self._images_first(
            [name for name in names if name not in refused], pull=self.keep_going or not refused
        )
        for name in names:
            spec = self.env.instances[name]
            if name in refused:
                continue
            if spec["ship"] in self.runner.down:
                if not self.keep_going:
                    refused[name] = str(self.runner.down[spec["ship"]])
                continue
            why = failed.get((spec["ship"], spec["image"])) or preflight.image_refusal(
                spec, self._images.get(spec["ship"], {}).get(spec["image"])
            )
            if why:
                refused[name] = self.env.located(name, "image", "%s on ship %s: %s" % (name, spec["ship"], why))
        return refused

    def _strangers(self, names):
        """{instance: the line refusing it} for each instance whose name a container the environment
        did not make has on its ship (unless adopt): checked on every ship before any change. The
        listing serves the first steps too."""
        self._list(names)
        if self.adopt:
            return {}
        refused = {}
        for name, entry in self._listed.items():
            owner = stranger(entry, self.env.name, name) if entry is not None else None
            if owner is not None:
                refused[name] = refusal(name, self.env.instances[name]["ship"], owner)
        return refused

    def _list(self, names):
        """Take the container listing of ``names`` again (one call per ship)."""
        for name in names:
            self._listed.pop(name, None)
            self._aside.pop(name, None)
        listed, aside = self.runner.list_containers(names)
        self._listed.update(listed)
        self._aside.update(aside)
        now = time.monotonic()
        self._listed_at.update((name, now) for name in names)

    def _begin(self, step_run, ready):
        """The steps whose dependencies are done: for each, what its thread does (announced first), or
        its results at once when none of its instances is to run (keep_going's skips, an interrupt)."""
        if step_run.command != "pulled":
            # A listing taken a while ago may no longer tell what is there: one listing for them all.
            now = time.monotonic()
            stale = [
                name
                for step in ready
                for name in step.instances
                if now - self._listed_at.get(name, 0.0) > LISTING_FRESH
            ]
            if stale:
                self._list(stale)
        return [self._begin_step(step_run, step) for step in ready]

    def _begin_step(self, step_run, step):
        todo, skipped = list(step.instances), {}
        if self.keep_going:
            todo = []
            for name in step.instances:
                why = self._skip_reason(self.env.instances[name], step_run.edges, step_run.bad)
                if name in step_run.preset:
                    skipped[name] = step_run.preset[name]
                elif why:
                    skipped[name] = self._skipped(name, why)
                else:
                    todo.append(name)
        if not todo:
            return [skipped[name] for name in step.instances], 0.0
        if not self.runner.admit(todo, threads=1 if step_run.one_by_one else None):
            return self._not_run(step.instances, None), 0.0
        self._report_start(step, todo, step_run.command)

        def work():
            began = time.monotonic()
            if step_run.command in ("started", "restarted"):
                results = self._converging_step(step_run.command, todo, step_run.options, step_run.one_by_one)
            else:
                results = self._run_each(todo, self._guarded(self._action(step_run.command)))
            self._verify_started(results)
            if self.keep_going:
                for r in results:
                    if r.get("unreachable"):
                        r.update({"failed": False, "skipped": True, "kept_going": True, "msg": "skipped: " + r["msg"]})
            by_name = dict(skipped, **{r["instance"]: r for r in results})
            return [by_name[name] for name in step.instances], time.monotonic() - began

        return work

    def _end(self, step_run, index, step, outcome):
        """A step's outcome, in the scheduler's thread: recorded, reported, and remembered for the
        steps after it (a failure halts the run; with keep_going, it skips what waits for it)."""
        results, seconds = outcome
        self.runner.release(step.instances)
        step_run.seconds[index] = seconds
        for r in results:
            step_run.results[r["instance"]] = r
            if r["failed"] or r.get("kept_going"):
                word = "was skipped" if r.get("skipped") else "failed"
                step_run.bad.setdefault(r["service"], "%s %s" % (r["instance"], word))
        if not all(r.get("skipped") and r["msg"].startswith("not run:") for r in results):
            self._report_end(step, results, step_run.command, seconds)
        if any(r["failed"] for r in results) and step_run.failed is None:
            step_run.failed = step.service

    def _skip_reason(self, spec, edges, bad):
        if spec["ship"] in self.runner.down:
            return str(self.runner.down[spec["ship"]])
        for service in sorted(ordering.closure([spec["service"]], edges) & set(bad)):
            return "%s %s, and %s" % ("comes after" if self._reverse else "depends on", service, bad[service])
        return None

    def _skipped(self, name, why):
        return blank_result(self.env.instances[name], skipped=True, kept_going=True, msg="skipped: " + why)

    def _action(self, state):
        if state == "pulled":
            return self._pull

        def converge(spec):
            if state == "cleaned":
                return self._manager(spec).converge(
                    "absent",
                    only_if_stopped=True,
                    listed=self._listed.pop(spec["name"], NOT_LISTED),
                    aside=self._aside.pop(spec["name"], None),
                )
            return self._converge(spec, state, refresh=self.refresh)

        return converge

    def _pull(self, spec):
        """Pull an instance's image on its ship; instances sharing one pull it once."""
        key = (spec["ship"], spec["image"])
        with self._pull_lock:
            event = self._pulls.get(key)
            first = event is None
            if first:
                event = self._pulls[key] = threading.Event()
        if not first:
            event.wait()
            return {"changed": False, "actions": ["pulled with another instance on %s" % spec["ship"]]}
        try:
            if self.check_mode:
                return {"changed": True, "actions": ["would pull %s" % spec["image"]]}
            client = self.client(spec["ship"])
            before = image_id(client, spec["image"])
            try:
                retries = registries.pull(
                    client,
                    spec["image"],
                    self.env.registries,
                    on_retry=lambda note: self.progress("  %s on %s: %s" % (spec["name"], spec["ship"], note)),
                )
            except registries.PullFailed as exc:
                raise ContainerError(
                    "%s: pulling %s on %s failed: %s" % (spec["name"], spec["image"], spec["ship"], exc)
                ) from None
            # Changed only when the ship got a new image for that name.
            changed = image_id(client, spec["image"]) != before
            return {
                "changed": changed,
                "actions": ["pulled %s%s" % (spec["image"], "" if changed else ", already up to date")] + retries,
            }
        finally:
            event.set()

    def _converging_step(self, command, names, options, one_by_one=False):
        """start and restart (their images read or pulled before the run's first change: _preflight):
        the instances whose containers may be replaced, per service in the batches of its update
        (rollout.py), beside all the others at once."""
        results = {}
        if command == "started" and self._planned is None and not self.record_live:
            # Running and made from these very settings, as the listing shows: nothing to do, no thread.
            for name in names:
                if name not in results and self._current(name):
                    results[name] = dict(
                        blank_result(self.env.instances[name]), **listed_result(name, self._listed[name])
                    )
        todo = [name for name in names if name not in results]
        # A rolling restart goes one instance at a time anyway (each replacement its own transaction).
        rollouts = [] if one_by_one else self._rollouts(command, todo)
        if command == "restarted":
            action = self._restart_action(options)
        else:
            action = self._guarded(lambda spec: self._converge(spec, "started", refresh=self._refresh_now()))
        immediate = [name for name in todo if not any(name in rollout.names for rollout in rollouts)]
        for rollout in rollouts:
            self.progress(
                "  %s: %s %s"
                % (rollout.service, "would replace" if self.check_mode else "replacing", rollout.describe())
            )
        if one_by_one:
            jobs = [lambda: self._restart_one_by_one(immediate, options)]
        else:
            jobs = [lambda: self._run_each(immediate, action)] + [rollout.run for rollout in rollouts]
        if len(jobs) == 1:
            parts = [jobs[0]()]
        else:
            with ThreadPoolExecutor(len(jobs)) as pool:
                parts = list(pool.map(lambda job: job(), jobs))
        for part in parts:
            results.update((result["instance"], result) for result in part)
        for name, result in results.items():
            # An image this run pulled on a ship (before any change: _preflight): each of its instances notes it.
            note = self._fresh.get((self.env.instances[name]["ship"], self.env.instances[name]["image"]))
            if note is not None and not result.get("skipped"):
                result["actions"] = [note] + result["actions"]
                result["changed"] = True
        return [results[name] for name in names]

    def _refresh_now(self):
        """Whether a manager still pulls: only in check mode, where _images_first pulls nothing."""
        return self.refresh and self.check_mode

    def _images_first(self, names, pull=True):
        """Each ship's images that are missing there (all of them with refresh), read and (``pull``)
        pulled once per ship and image, before any container of ``names`` changes: {(ship, image): why
        it is not there} (a read or a pull that failed). What the run pulled is in ``_fresh``."""
        pairs = {}
        for name in names:
            spec = self.env.instances[name]
            if spec["ship"] not in self.runner.down:
                pairs.setdefault((spec["ship"], spec["image"]), spec)

        def fetch(pair):
            ship, image = pair
            what = "reading image %s failed" % image
            try:
                with self.runner.slot(ship), connection_errors(ship, self.env.ships[ship]["docker_url"]):
                    client = self.client(ship)
                    cache = self._images.setdefault(ship, {})
                    cache[image] = image_inspect(client, image)
                    if self.check_mode or not pull or not (self.refresh or cache[image] is None):
                        return None
                    what = (
                        "image %s is not on the ship, and pulling it failed"
                        if cache[image] is None
                        else "pulling image %s failed"
                    ) % image
                    retries = registries.pull(client, image, self.env.registries, on_retry=self.progress)
                    cache[image] = client.inspect_image(image)
            except ShipUnreachable as exc:
                self.runner.down.setdefault(ship, exc)
                return None
            except DockerException as exc:
                return "%s: %s" % (what, error_text(exc))
            self._fresh[pair] = "pulled image" + registries.retries_detail(retries)
            return None

        if not pairs:
            return {}
        with ThreadPoolExecutor(min(len(pairs), MAX_THREADS)) as pool:
            return {pair: why for pair, why in zip(pairs, pool.map(fetch, pairs)) if why}

    def _rollouts(self, command, names):
        """The rollouts of this step: per service, the instances whose containers would be replaced
        (a listing that shows a container not created from the file's settings, or no listing; a
        preview in check mode tells which truly are, when the service has more than one batch)."""
        candidates: dict[str, list[str]] = {}
        for name in names:
            if self._may_replace(name):
                candidates.setdefault(self.env.instances[name]["service"], []).append(name)
        rollouts = []
        for service, members in candidates.items():
            policy = update_section.overridden(self.env.services[service]["update"], self.update)
            size = update_section.batch_size(policy, len(self.env.services[service]["instances"]))
            if len(members) > size:
                unfinished = [name for name in members if self._interrupted_replacement(name)]
                members = unfinished + [name for name in self._replacements(command, members) if name not in unfinished]
            if members:
                rollouts.append(
                    Rollout(
                        service,
                        members,
                        self.env.instances,
                        policy,
                        size,
                        replace=self._guarded_replace(command),
                        run_each=self._run_each,
                        interrupted=lambda: self.interrupted,
                        check_mode=self.check_mode,
                    )
                )
        return rollouts

    def _rerun(self, name):
        return self.rerun_oneshots and self.env.instances[name]["oneshot"] is not None

    def _current(self, name):
        """Whether the listing shows ``name`` needing nothing (container.unchanged)."""
        if self._rerun(name):
            return False
        spec = self.env.instances[name]
        image = self._images.get(spec["ship"], {}).get(spec["image"])
        return unchanged(spec, self._listed.get(name), image, self._aside.get(name), self.refresh)

    def _interrupted_replacement(self, name):
        return bool((self._aside.get(name) or {}).get(KEPT_PREVIOUS))

    def _may_replace(self, name):
        entry = self._listed.get(name, NOT_LISTED)
        if self._interrupted_replacement(name):
            return True  # to finish first, in the service's first batch
        if entry is None:
            return False
        if entry is NOT_LISTED or (self.refresh and self.check_mode):
            return True
        spec = self.env.instances[name]
        return not listed_current(spec, entry, self._images.get(spec["ship"], {}).get(spec["image"]))

    def _replacements(self, command, names):
        """Those of ``names`` whose containers drifted from the file (a check-mode converge of each to
        ``command``, started or restarted: a container state too)."""

        def preview(spec):
            return self._manager(spec, check_mode=True).converge(command, refresh=self._refresh_now())

        return [result["instance"] for result in self._run_each(names, preview) if result.get("reasons")]

    def _guarded_replace(self, command):
        def replace(spec):
            guarded = self._guarded(
                lambda one: self._converge(one, command, keep_previous=True, refresh=self._refresh_now())
            )
            result = guarded(spec)
            return self._managers.pop(spec["name"], None), result

        return replace

    def _restart_action(self, options):
        only_if_changed = options.get("only_if_changed", False)
        stop_start_delay = float(options.get("stop_start_delay") or 0)

        def restart(spec):
            if only_if_changed:
                preview = self._manager(spec, check_mode=True).converge("started", refresh=self._refresh_now())
                if not preview.get("reasons") and preview["container"]["state"] == "running":
                    return {"changed": False, "actions": ["unchanged, not restarted"]}
            if stop_start_delay:
                stopped = self._manager(spec).converge("stopped")
                time.sleep(0 if self.check_mode else stop_start_delay)
                result = self._converge(spec, "started", refresh=self._refresh_now())
                result["actions"] = stopped["actions"] + result["actions"]
                result["changed"] = True
                return result
            return self._converge(spec, "restarted", refresh=self._refresh_now())

        return self._guarded(restart)

    def _restart_one_by_one(self, names, options):
        """restart one instance at a time (rolling, step_delay), each passing its checks first."""
        step_delay = float(options.get("step_delay") or 0)
        restart = self._restart_action(options)
        results = []
        for index, name in enumerate(names):
            if index and step_delay and not self.check_mode:
                time.sleep(step_delay)
            result = self._run_each([name], restart)[0]
            self._verify_started([result])
            results.append(result)
            if result["failed"]:
                results.extend(self._not_run(names[index + 1 :], None))
                break
        return results

    def _not_run(self, names, failed_service):
        why = "not run: %s failed" % failed_service if failed_service else "not run: an earlier instance failed"
        if self.interrupted and not failed_service:
            why = "not run: interrupted (%s)" % self.interrupted
        return [blank_result(self.env.instances[name], skipped=True, msg=why) for name in names]

    # ------------------------------------------------------------------ reporting
    def _report_start(self, step, names, command):
        """Before a step works: what it is about to do, so a long wait is never silent."""
        doing = "checking" if self.check_mode else COMMANDS[command].doing
        self.progress(step_start_line(self.env, step, names, doing))

    def _report_end(self, step, results, command, seconds):
        for line in step_end_lines(step, results, COMMANDS[command].past, seconds, self.check_mode):
            self.progress(line)
