"""Scheduling by dependency on real ships: a service starts as soon as its own dependencies are up,
not when its dependency level is; a slow branch holds back only what needs it.

The environment, on ships 1-3: ``slow`` (a 3 s ``sleep`` running check) beside an independent chain
``c1 -> c2 -> c3``, and ``app``, which requires both ``slow`` and ``c3``. By levels, c2 and c3 would
wait for slow's check; by dependency, the chain is up before it ends.
"""

import re
import time
from datetime import timedelta

import pytest
from helpers.envs import (
    IMAGE,
    SERVE,
    finished_at,
    inspect_all,
    ok,
    playbook,
    running,
    ship_name,
    ships_of,
    started_at,
    write_env,
)

SLOW = 3  # seconds of slow's running check
CHAIN = ["c1", "c2", "c3"]
NAMES = ["slow-1", "slow-2", "c1-1", "c1-2", "c2-1", "c2-2", "c3-1", "c3-2", "app-1"]


def uneven(lab):
    def service(ships, requires=(), lifecycle=None, port=8000):
        definition = {
            "image": IMAGE,
            "env": {"PORT": port},
            "instances": {},
        }
        if requires:
            definition["requires"] = list(requires)
        if lifecycle:
            definition["lifecycle"] = lifecycle
        return definition, ships

    services = {
        "slow": service([1, 2], lifecycle={"running": [{"type": "sleep", "wait": SLOW}]}),
        "c1": service([2, 3]),
        "c2": service([3, 1], requires=["c1"]),
        "c3": service([1, 2], requires=["c2"]),
        "app": service([3], requires=["slow", "c3"]),
    }
    model = {
        "__maestro": {"schema": 2},
        "name": "uneven",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {},
    }
    for name, (definition, ships) in services.items():
        for k, ship in enumerate(ships, 1):
            definition["instances"]["%s-%d" % (name, k)] = {
                "ship": ship_name(lab, ship),
                "command": ["sh", "-c", SERVE],
                "stop_timeout": 1,
            }
        model["services"][name] = definition
    return model


def test_a_chain_beside_a_slow_service_starts_without_waiting_for_it(clean_lab, tmp_path):
    path = write_env(tmp_path, uneven(clean_lab))
    run = ok(playbook("start", path))
    found = inspect_all(clean_lab)
    assert running(found, NAMES) == dict.fromkeys(NAMES, True), str(run)
    slow_up = max(started_at(found, name) for name in ("slow-1", "slow-2")) + timedelta(seconds=SLOW)
    # The whole chain started before slow's check was over; app only after both branches were up.
    assert max(started_at(found, "c3-%d" % k) for k in (1, 2)) < slow_up - timedelta(seconds=1), str(run)
    assert started_at(found, "app-1") >= slow_up, str(run)
    assert min(started_at(found, "c2-%d" % k) for k in (1, 2)) > max(started_at(found, "c1-%d" % k) for k in (1, 2))
    # The lines say so: c3 is done before slow is.
    done = [line.split(":")[0] for line in run.progress()]
    assert done.index("c3") < done.index("slow") < done.index("app"), str(run)
    assert re.search(r"^app: starting 1 instance on \S+ \.\.\.$", run.output, re.M), str(run)

    # deps shows the critical path of that start: slow (its check), then app.
    deps = ok(playbook("deps", path))
    assert re.search(r"critical path: slow \d+\.\ds → app \d+\.\ds = \d+\.\ds \(the start of ", deps.output), str(deps)

    # -v: a line per instance.
    again = ok(playbook("start", path, "-v"))
    assert "  app-1 on %s: " % ship_name(clean_lab, 3) in again.output, str(again)


def test_stop_goes_dependents_first_by_branch(clean_lab, tmp_path):
    path = write_env(tmp_path, uneven(clean_lab))
    ok(playbook("start", path))
    run = ok(playbook("stop", path))
    found = inspect_all(clean_lab)
    assert running(found, NAMES) == dict.fromkeys(NAMES, False), str(run)
    app_down = finished_at(found, "app-1")
    assert all(finished_at(found, name) >= app_down for name in NAMES if name != "app-1"), str(run)
    for before, after in (("c3", "c2"), ("c2", "c1")):
        assert max(finished_at(found, "%s-%d" % (before, k)) for k in (1, 2)) <= min(
            finished_at(found, "%s-%d" % (after, k)) for k in (1, 2)
        ), str(run)


def creates_and_starts(lab, since):
    """Every ship's container create and start events since ``since`` (a Unix time), in time order."""
    until = time.time() + 1
    events = []
    for k in (1, 2, 3):
        for event in lab.client(k).events(since=since, until=until, decode=True, filters={"type": "container"}):
            if event["Action"] in ("create", "start"):
                events.append((event["timeNano"], event["Action"], event["Actor"]["Attributes"]["name"]))
    return [(action, name) for dummy, action, name in sorted(events)]


@pytest.mark.parametrize("bound", [None, 1])
def test_concurrency_bounds_the_container_operations_at_once(clean_lab, tmp_path, bound):
    # The chain alone: c1's two instances (ships 2 and 3) are created at once, unless -e concurrency=1
    # makes each instance's create and start one operation after the other.
    model = uneven(clean_lab)
    for name in ("slow", "app"):
        del model["services"][name]
    path = write_env(tmp_path, model)
    since = time.time()
    run = ok(playbook("start", path, **({"concurrency": bound} if bound else {})))
    assert "start: 6 instances on 3 ships: 6 created" in run.output, str(run)
    events = creates_and_starts(clean_lab, since)
    assert len(events) == 12, events
    one_at_a_time = all(events[i][0] == "create" and events[i + 1] == ("start", events[i][1]) for i in range(0, 12, 2))
    assert one_at_a_time == (bound == 1), events
