"""Scheduling by dependency (model/schedule.py, run/scheduler.py, the orchestrator): each step begins
as soon as what it waits for is done, bounded, on fake ships (no Docker). What real daemons do with it
is tests/integration/test_dependency_order.py's."""

import threading

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.fake_ships import Ships

# slow (ship1) and the chain c1 -> c2 (ship2) share nothing; app needs both branches.
ENV = """
name: uneven
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  slow:
    image: busybox
    instances:
      slow-1: {ship: ship1}
  c1:
    image: busybox
    instances:
      c1-1: {ship: ship2}
      c1-2: {ship: ship1}
  c2:
    image: busybox
    requires: [c1]
    instances:
      c2-1: {ship: ship2}
  app:
    image: busybox
    requires: [slow, c2]
    instances:
      app-1: {ship: ship1}
"""
ALL = ["slow-1", "c1-1", "c1-2", "c2-1", "app-1"]


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def run(env, ships, command="started", names=None, restart_options=None, **options):
    lines = []
    orchestrator = Orchestrator(
        env, connect_ship=ships.connect, manager=ships.manager, progress=lines.append, **options
    )
    summary = orchestrator.run(command, names or ALL, restart_options=restart_options)
    summary["lines"] = [str(line) for line in lines]
    return summary


def by_instance(summary):
    return {r["instance"]: r for r in summary["instances"]}


def test_the_chain_runs_while_the_slow_step_is_still_at_work(env):
    # slow-1 finishes only once c2-1 (two steps down the other branch) is done: by levels, c2 would
    # wait for slow, and slow's gate would never open.
    gate = threading.Event()
    ships = Ships(gates={"slow-1": gate}, then={"c2-1": gate.set})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert ships.done.index("c2-1") < ships.done.index("slow-1") < ships.done.index("app-1")


def test_a_step_waits_for_every_instance_of_what_it_requires(env):
    gate = threading.Event()
    ships = Ships(gates={"c1-2": gate}, then={"slow-1": gate.set})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    done = ships.done
    assert max(done.index("c1-1"), done.index("c1-2")) < done.index("c2-1")
    assert max(done.index("slow-1"), done.index("c2-1")) < done.index("app-1")


def test_stop_like_work_waits_for_what_depends_on_it(env):
    ships = Ships()
    summary = run(env, ships, "stopped")
    assert not summary["failed"], summary.get("msg")
    done = ships.done
    assert done.index("app-1") < min(done.index("slow-1"), done.index("c2-1"))
    assert done.index("c2-1") < min(done.index("c1-1"), done.index("c1-2"))


def test_the_lines_say_when_each_service_begins_and_is_done(env):
    gate = threading.Event()
    ships = Ships(gates={"slow-1": gate}, then={"c2-1": gate.set})
    lines = run(env, ships)["lines"]
    assert (
        lines.index("c2: starting 1 instance on ship2 ...")
        < [i for i, line in enumerate(lines) if line.startswith("slow: 1/1 started in ")][0]
    )
    assert lines[-1].startswith("start: 5 instances on 2 ships: 5 started in ")
    assert [line for line in lines if line.startswith("app: ")][0] == "app: starting 1 instance on ship1 ..."


def test_the_result_records_each_step_and_what_it_waited_for(env):
    summary = run(env, Ships())
    steps = {step["service"]: step for step in summary["steps"]}
    assert steps["app"]["after"] == ["c1", "c2", "slow"] and steps["slow"]["after"] == []
    assert steps["c1"]["instances"] == 2 and all(step["seconds"] >= 0 for step in summary["steps"])


def test_a_failure_lets_the_steps_in_progress_finish_and_begins_no_other(env):
    # slow-1 fails while c1 is at work: c1 finishes, nothing after it begins. c1-1 goes on only once the
    # run has said that slow failed (the scheduler's thread ends a step before it begins another).
    gate = threading.Event()
    ships = Ships(gates={"c1-1": gate}, failing={"slow-1"})

    def progress(line):
        if line.startswith("slow: 0/1 "):  # its end line
            gate.set()

    summary = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager, progress=progress).run(
        "started", ALL
    )
    results = by_instance(summary)
    assert summary["failed"] and results["slow-1"]["failed"]
    assert not results["c1-1"]["failed"] and not results["c1-2"]["failed"]
    for name in ("c2-1", "app-1"):
        assert results[name]["skipped"] and results[name]["msg"] == "not run: slow failed"
    assert sorted(ships.done) == ["c1-1", "c1-2", "slow-1"]


def test_keep_going_skips_only_what_depends_on_the_failure(env):
    ships = Ships(failing={"slow-1"})
    summary = run(env, ships, keep_going=True)
    results = by_instance(summary)
    assert [name for name in ALL if not results[name]["failed"] and not results[name].get("skipped")] == [
        "c1-1",
        "c1-2",
        "c2-1",
    ]
    assert results["app-1"]["msg"] == "skipped: depends on slow, and slow-1 failed"
    assert "app-1" not in ships.done


def test_an_interrupt_lets_the_steps_in_progress_finish_and_begins_no_other(env):
    # The signal comes once c1-1 is done, while c1-2 is still at work.
    gate = threading.Event()
    ships = Ships(gates={"c1-2": gate})
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    ships.then = {"c1-1": lambda: (orchestrator.interrupt("SIGINT"), gate.set())}
    summary = orchestrator.run("started", ALL)
    results = by_instance(summary)
    assert summary["interrupted"] == "SIGINT"
    assert sorted(ships.done) == ["c1-1", "c1-2", "slow-1"]  # all announced at the start
    for name in ("c2-1", "app-1"):
        assert results[name]["msg"] == "not run: interrupted (SIGINT)"


def test_concurrency_bounds_the_operations_at_once_over_the_whole_run(env):
    ships = Ships()
    summary = run(env, ships, concurrency=1)
    assert not summary["failed"] and ships.most_at_once == 1


def test_without_a_bound_the_independent_steps_run_at_once(env):
    # slow-1 and both c1 instances are at work together: each waits for the others.
    barrier = threading.Barrier(3)
    ships = Ships(barrier={"slow-1": barrier, "c1-1": barrier, "c1-2": barrier})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")


def test_ship_concurrency_bounds_the_operations_at_once_on_each_ship(env):
    ships = Ships()
    summary = run(env, ships, ship_concurrency=1)
    assert not summary["failed"]
    assert ships.most_on_ship == {"ship1": 1, "ship2": 1}


def test_a_rolling_restart_goes_one_instance_at_a_time_over_the_whole_run(env):
    ships = Ships()
    summary = run(env, ships, "restarted", restart_options={"rolling": True})
    assert not summary["failed"] and ships.most_at_once == 1
    done = ships.done
    assert done.index("c2-1") < done.index("app-1") and done.index("slow-1") < done.index("app-1")


def test_ignore_dependencies_keeps_the_order_among_the_named_things(env):
    # c2 is not selected: app still comes after c1, which it depends on through c2.
    ships = Ships()
    summary = run(env, ships, names=["c1-1", "c1-2", "app-1"])
    assert not summary["failed"]
    done = ships.done
    assert max(done.index("c1-1"), done.index("c1-2")) < done.index("app-1")
