"""The orchestrator's scheduling rules, on fake ships (no Docker).

The seams are Orchestrator's ``connect_ship`` (a ship -> its Docker client) and ``manager``
(what converges one container). The fakes record every converge: which instance, to which
state, in check mode or not, and how many ran at that moment. What a real daemon does with
them is tests/integration's (test_playbooks.py, test_hardening.py, test_api_calls.py).
"""

import threading

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.plugins.module_utils.run import level_runner
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator

# db on ship1; api (2 instances, ships 1 and 2) requires db; web requires api; tool stands alone.
ENV = """
name: sched
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  db:
    image: busybox
    instances:
      db-1: {ship: ship1}
  api:
    image: busybox
    requires: [db]
    instances:
      api-1: {ship: ship1}
      api-2: {ship: ship2}
  web:
    image: busybox
    requires: [api]
    instances:
      web-1: {ship: ship2}
  tool:
    image: busybox
    instances:
      tool-1: {ship: ship2}
"""


class Ships:
    """The fake ships: a client per ship, the ships that are down, the instances that fail,
    and the journal of every converge."""

    def __init__(self, down=(), failing=(), barrier=None):
        self.down = set(down)
        self.failing = set(failing)
        self.barrier = barrier  # {instance: threading.Barrier}: those must converge together
        self.connects = []
        self.journal = []  # (instance, state, check_mode, running at the time)
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def connect(self, ship):
        self.connects.append(ship["name"])
        if ship["name"] in self.down:
            raise ShipUnreachable(ship["name"], ship["docker_url"], "[Errno 113] No route to host")
        return FakeClient()

    def manager(self, client, spec, check_mode=False, **options):
        return FakeManager(self, spec, check_mode)


class FakeClient:
    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        return []


class FakeManager:
    def __init__(self, ships, spec, check_mode):
        self.ships, self.spec, self.check_mode = ships, spec, check_mode

    def converge(self, state, refresh=False, only_if_stopped=False, listed=None):
        name, ships = self.spec["name"], self.ships
        with ships.lock:
            ships.running += 1
            ships.most_at_once = max(ships.most_at_once, ships.running)
            ships.journal.append((name, state, self.check_mode, ships.running))
        try:
            if ships.barrier and name in ships.barrier:
                ships.barrier[name].wait(timeout=5)  # BrokenBarrierError unless run at once
            if name in ships.failing:
                raise ContainerError("%s: exited with code 1" % name)
            return {"changed": True, "actions": [("would " if self.check_mode else "") + state], "reasons": []}
        finally:
            with ships.lock:
                ships.running -= 1

    def has_running_checks(self):
        return False


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def run(env, ships, command="started", names=None, **options):
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager, **options)
    return orchestrator.run(command, names or list(env.instances))


def order(ships):
    return [entry[0] for entry in ships.journal]


def by_instance(summary):
    return {r["instance"]: r for r in summary["instances"]}


def test_start_runs_dependencies_first_level_by_level(env):
    ships = Ships()
    summary = run(env, ships)
    seen = order(ships)
    assert seen.index("db-1") < min(seen.index("api-1"), seen.index("api-2"))
    assert max(seen.index("api-1"), seen.index("api-2")) < seen.index("web-1")
    assert summary["counts"] == {"total": 5, "changed": 5, "failed": 0, "skipped": 0}


def test_stop_runs_dependents_first(env):
    ships = Ships()
    run(env, ships, "stopped")
    seen = order(ships)
    assert seen.index("web-1") < min(seen.index("api-1"), seen.index("api-2"))
    assert max(seen.index("api-1"), seen.index("api-2")) < seen.index("db-1")
    assert {entry[1] for entry in ships.journal} == {"stopped"}


def test_a_level_converges_at_once_across_ships(env):
    # db-1 and tool-1 share the first level, on two ships: each waits for the other.
    barrier = threading.Barrier(2)
    ships = Ships(barrier={"db-1": barrier, "tool-1": barrier})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")


def test_a_failed_level_stops_the_later_ones(env):
    ships = Ships(failing={"api-2"})
    summary = run(env, ships)
    results = by_instance(summary)
    assert results["api-2"]["failed"] and results["api-2"]["msg"] == "api-2: exited with code 1"
    assert results["web-1"]["skipped"] and results["web-1"]["msg"] == "not run: level 2 failed"
    assert "web-1" not in order(ships)
    assert summary["failed"]


def test_keep_going_skips_only_what_waits_for_the_failure(env):
    ships = Ships(failing={"db-1"})
    summary = run(env, ships, keep_going=True)
    results = by_instance(summary)
    assert results["api-1"]["msg"] == "skipped: depends on db, and db-1 failed"
    # The first skipped service it waits for (by name) is the one named.
    assert results["web-1"]["msg"] == "skipped: depends on api, and api-1 was skipped"
    assert set(order(ships)) == {"db-1", "tool-1"}
    assert not results["tool-1"]["failed"] and results["tool-1"]["changed"]
    assert summary["failed"] and [s["instance"] for s in summary["skipped_instances"]] == ["api-1", "api-2", "web-1"]


def test_keep_going_on_a_stop_skips_what_comes_after(env):
    ships = Ships(failing={"web-1"})
    summary = run(env, ships, "stopped", keep_going=True)
    results = by_instance(summary)
    assert results["api-1"]["msg"] == "skipped: comes after web, and web-1 failed"
    assert results["db-1"]["msg"] == "skipped: comes after api, and api-1 was skipped"
    assert set(order(ships)) == {"web-1", "tool-1"}


def test_a_lost_ship_is_asked_once_and_keep_going_skips_its_instances(env):
    ships = Ships(down={"ship2"})
    summary = run(env, ships, keep_going=True)
    results = by_instance(summary)
    assert ships.connects.count("ship2") == 1
    assert (
        results["tool-1"]["skipped"]
        and "ship ship2 (tcp://10.250.0.202:2375) is unreachable" in results["tool-1"]["msg"]
    )
    assert results["api-1"]["changed"] and not results["api-1"]["failed"]
    assert results["api-2"]["skipped"]
    assert results["web-1"]["msg"].startswith("skipped: ship ship2")
    assert set(order(ships)) == {"db-1", "api-1"}


def test_check_mode_converges_nothing_for_real(env):
    ships = Ships()
    summary = run(env, ships, check_mode=True)
    assert ships.journal and all(entry[2] for entry in ships.journal)
    assert {a for r in summary["instances"] for a in r["actions"]} == {"would started"}


def test_an_interrupt_lets_the_level_finish_and_runs_no_other(env):
    ships = Ships()
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    first = FakeManager.converge

    def converge_then_interrupt(manager, state, **options):
        result = first(manager, state, **options)
        orchestrator.interrupt("SIGINT")
        return result

    FakeManager.converge = converge_then_interrupt
    try:
        summary = orchestrator.run("started", ["db-1", "api-1", "web-1"])
    finally:
        FakeManager.converge = first
    results = by_instance(summary)
    assert order(ships) == ["db-1"]
    assert results["api-1"]["msg"] == results["web-1"]["msg"] == "not run: interrupted (SIGINT)"
    assert summary["failed"] and summary["interrupted"] == "SIGINT"


def interrupt_when(orchestrator, text, lines):
    """A progress callback that keeps the lines and interrupts once one starts with ``text``."""

    def progress(line):
        lines.append(str(line))
        if line.startswith(text):
            orchestrator.interrupt("SIGTERM")

    return progress


def test_an_interrupt_right_after_a_level_is_announced_lets_all_of_it_run(env):
    # What was announced as starting runs, however soon the signal follows the line.
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = interrupt_when(orchestrator, "level 2/3 api: starting", lines)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships)[1:] in (["api-1", "api-2"], ["api-2", "api-1"])
    assert by_instance(summary)["web-1"]["msg"] == "not run: interrupted (SIGTERM)"
    assert [line for line in lines if line.startswith("level 3/3")] == []


def test_an_interrupt_after_the_announcement_starts_no_more_than_run_at_once(env, monkeypatch):
    monkeypatch.setattr(level_runner, "MAX_THREADS", 1)
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = interrupt_when(orchestrator, "level 2/3 api: starting", lines)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships) == ["db-1", "api-1"]
    assert by_instance(summary)["api-2"]["msg"] == "not run: interrupted (SIGTERM)"


def test_an_interrupt_before_a_level_is_announced_runs_none_of_it(env, monkeypatch):
    # The signal lands while the level's containers are being listed, before its line.
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = lines.append
    listed = FakeClient.containers

    def containers(client, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        if "api-1" in str(filters):
            orchestrator.interrupt("SIGINT")
        return listed(client, all, filters)

    monkeypatch.setattr(FakeClient, "containers", containers)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships) == ["db-1"]
    assert [line for line in lines if line.startswith("level 2/3")] == []
    assert by_instance(summary)["api-2"]["msg"] == "not run: interrupted (SIGINT)"
    assert summary["interrupted"] == "SIGINT"


def test_an_interrupt_during_a_rolling_restart_lets_only_the_container_in_progress_finish(env, monkeypatch):
    ships = Ships()
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    first = FakeManager.converge

    def converge_then_interrupt(manager, state, **options):
        orchestrator.interrupt("SIGINT")
        return first(manager, state, **options)

    monkeypatch.setattr(FakeManager, "converge", converge_then_interrupt)
    summary = orchestrator.run("restarted", ["api-1", "api-2"], restart_options={"rolling": True})
    assert order(ships) == ["api-1"]
    assert by_instance(summary)["api-2"]["msg"] == "not run: interrupted (SIGINT)"


def test_rolling_restart_restarts_one_container_at_a_time(env):
    ships = Ships()
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    summary = orchestrator.run("restarted", ["api-1", "api-2"], restart_options={"rolling": True})
    assert order(ships) == ["api-1", "api-2"] and ships.most_at_once == 1
    assert summary["counts"]["changed"] == 2


def test_restart_without_rolling_restarts_a_level_at_once(env):
    barrier = threading.Barrier(2)
    ships = Ships(barrier={"api-1": barrier, "api-2": barrier})
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    summary = orchestrator.run("restarted", ["api-1", "api-2"])
    assert not summary["failed"], summary.get("msg")
    assert {entry[1] for entry in ships.journal} == {"restarted"}
