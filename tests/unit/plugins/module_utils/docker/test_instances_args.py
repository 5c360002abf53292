"""maestro.ng.instances' run (docker/instances_args.py): each instance once, the drifted one at a time."""

import threading
import time

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import instances_args
from ansible_collections.maestro.ng.plugins.module_utils.docker.instances_args import (
    INSTANCES_SPEC,
    converge_many,
)


def params(names, state="started", **extra):
    options = {key: spec.get("default") for key, spec in INSTANCES_SPEC.items()}
    options.update(
        specs=[
            {"name": name, "image": "busybox:1", "environment": "t", "ship": "s1", "ship_ip": "10.0.0.1"}
            for name in names
        ],
        state=state,
        docker_url="tcp://10.0.0.1:2375",
        **extra,
    )
    return options


@pytest.fixture
def ship(monkeypatch):
    """A ship where ``drifted`` instances would be replaced and ``absent`` ones created; what each real
    run did, and how many ran at once at most."""
    calls = {"real": [], "checked": [], "at_once": 0, "replacing": 0, "max_replacing": 0}
    lock = threading.Lock()
    state = {"drifted": set(), "absent": set()}

    def converged_on(client, spec, options, known, check, diff, unreachable, **listing):
        name = spec["name"]
        drift = name in state["drifted"]
        changed = drift or name in state["absent"]
        if check:
            calls["checked"].append(name)
            return {"changed": changed, "reasons": ["env.V changed"] if drift else [], "actions": []}
        with lock:
            calls["real"].append(name)
            if drift:
                calls["replacing"] += 1
                calls["max_replacing"] = max(calls["max_replacing"], calls["replacing"])
        time.sleep(0.05)
        with lock:
            if drift:
                calls["replacing"] -= 1
        return {"changed": True, "reasons": ["env.V changed"] if drift else [], "actions": ["created", "started"]}

    monkeypatch.setattr(instances_args, "converged_on", converged_on)
    monkeypatch.setattr(instances_args, "connect", lambda ship: object())
    monkeypatch.setattr(instances_args, "containers_by_name", lambda client: {})
    return calls, state


def test_each_instance_runs_once_and_the_drifted_ones_one_at_a_time(ship):
    calls, state = ship
    state["drifted"] = {"a-1", "a-2", "a-3"}
    state["absent"] = {"a-4"}
    result = converge_many(params(["a-1", "a-2", "a-3", "a-4", "a-5"]), {})
    assert sorted(calls["real"]) == ["a-1", "a-2", "a-3", "a-4"]  # a-5 unchanged: its check is its result
    assert calls["max_replacing"] == 1
    assert [r["instance"] for r in result["instances"]] == ["a-1", "a-2", "a-3", "a-4", "a-5"]
    assert result["changed"] and not result.get("failed")
    assert [r["changed"] for r in result["instances"]] == [True, True, True, True, False]


def test_check_mode_and_other_states_run_each_once(ship):
    calls, state = ship
    state["drifted"] = {"a-1"}
    converge_many(params(["a-1", "a-2"]), {}, check_mode=True)
    assert sorted(calls["checked"]) == ["a-1", "a-2"] and calls["real"] == []
    converge_many(params(["a-1", "a-2"], state="stopped"), {})
    assert sorted(calls["real"]) == ["a-1", "a-2"]


def test_a_spec_docker_would_refuse_refuses_them_all_before_any_change(ship):
    calls, _state = ship
    options = params(["a-1", "a-2"])
    options["specs"][1]["workdir"] = "relative/dir"
    result = converge_many(options, {})
    assert result["failed"] and "a-2: workdir" in result["msg"], result
    assert calls["real"] == calls["checked"] == []


def test_an_image_to_pull_is_pulled_by_its_first_instance_before_the_others_of_it(ship, monkeypatch):
    calls, state = ship
    state["absent"] = {"a-1", "a-2", "a-3"}
    order = []
    real = instances_args.converged_on

    def pulling(client, spec, options, known, check, diff, unreachable, **listing):
        result = real(client, spec, options, known, check, diff, unreachable, **listing)
        if check:
            return dict(result, actions=["would pull image"] if spec["name"] != "a-3" else [])
        order.append(spec["name"])
        return result

    monkeypatch.setattr(instances_args, "converged_on", pulling)
    options = params(["a-1", "a-2", "a-3"])
    options["specs"][2]["image"] = "other:1"
    converge_many(options, {})
    assert order.index("a-1") < order.index("a-2")  # a-2's image comes with a-1's pull
    assert sorted(order) == ["a-1", "a-2", "a-3"]
