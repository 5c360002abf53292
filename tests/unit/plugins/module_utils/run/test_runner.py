"""The orchestrator's executor (run/runner.py) on fake ships: results in order, errors as
results, a lost ship asked once, the interrupt that lets only admitted work run, and one
container listing per ship."""

import threading

import docker.errors
import pytest
import requests

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.plugins.module_utils.run import runner as runner_module
from ansible_collections.maestro.ng.plugins.module_utils.run.runner import Runner, blank_result
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run import sched_env

# sched_env's environment (db-1 and api-1 on ship1; api-2, web-1 and tool-1 on ship2) with two registries.
ENV = (
    sched_env.ENV
    + """\
registries:
  private: {registry: "https://reg.example.com:5000/v2/", username: bot, password: hunter2}
  public: {registry: "https://index.example.org/"}
"""
)
UNREACHABLE = "ship ship2 (tcp://10.250.0.202:2375) is unreachable: [Errno 113] No route to host"


class AuthConfigs:
    def __init__(self):
        self.added = []

    def add_auth(self, host, config):
        self.added.append((host, config))


class FakeClient:
    """A ship's Docker client: its container listing (entries, or an exception to raise)."""

    def __init__(self, ship, listing=()):
        self.ship = ship
        self.listing = listing
        self.listed = []  # the filters of each listing
        self._auth_configs = AuthConfigs()

    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        self.listed.append((all, filters))
        if isinstance(self.listing, Exception):
            raise self.listing
        return list(self.listing)


class Ships:
    """connect_ship: one FakeClient per ship, ShipUnreachable for the ships that are down."""

    def __init__(self, down=(), **listings):
        self.down = set(down)
        self.connects = []
        self.clients = {name: FakeClient(name, listings.get(name, ())) for name in ("ship1", "ship2")}

    def connect(self, ship):
        self.connects.append(ship["name"])
        if ship["name"] in self.down:
            raise ShipUnreachable(ship["name"], ship["docker_url"], "[Errno 113] No route to host")
        return self.clients[ship["name"]]


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def entry(name, state="running"):
    return {"Id": name.replace("-", "") * 8, "Names": ["/" + name], "State": state}


# ---------------------------------------------------------------------- blank_result
def test_a_blank_result_says_where_the_instance_is_and_that_nothing_was_done(env):
    assert blank_result(env.instances["api-2"]) == {
        "instance": "api-2",
        "service": "api",
        "ship": "ship2",
        "changed": False,
        "failed": False,
        "actions": [],
        "reasons": [],
    }


def test_a_blank_result_takes_the_outcome_on_top(env):
    result = blank_result(env.instances["db-1"], skipped=True, changed=True, msg="not run")
    assert result == {
        "instance": "db-1",
        "service": "db",
        "ship": "ship1",
        "changed": True,
        "failed": False,
        "actions": [],
        "reasons": [],
        "skipped": True,
        "msg": "not run",
    }


def test_blank_results_do_not_share_their_lists(env):
    first, second = blank_result(env.instances["db-1"]), blank_result(env.instances["db-1"])
    first["actions"].append("started")
    assert second["actions"] == []


# ---------------------------------------------------------------------- run_each
def test_run_each_keeps_the_order_of_the_names_however_the_work_ends(env):
    # db-1 finishes last: it waits for tool-1, which runs at the same time.
    last_done = threading.Event()

    def action(spec):
        if spec["name"] == "db-1":
            assert last_done.wait(5)
        if spec["name"] == "tool-1":
            last_done.set()
        return {"changed": True, "actions": ["did " + spec["name"]]}

    runner = Runner(env, Ships().connect)
    results = runner.run_each(["db-1", "api-1", "tool-1"], action)
    assert [r["instance"] for r in results] == ["db-1", "api-1", "tool-1"]
    assert results[2] == {
        "instance": "tool-1",
        "service": "tool",
        "ship": "ship2",
        "changed": True,
        "failed": False,
        "actions": ["did tool-1"],
        "reasons": [],
    }


def test_run_each_of_nothing_is_nothing(env):
    runner = Runner(env, Ships().connect)
    assert runner.run_each([], lambda spec: {"changed": True}) == []


def test_before_is_merged_first_and_the_action_on_top(env):
    runner = Runner(env, Ships().connect)
    results = runner.run_each(
        ["db-1"],
        lambda spec: {"actions": ["started"], "changed": True},
        before=lambda spec: {"actions": ["looked"], "spec_digest": "abc"},
    )
    assert results[0]["actions"] == ["started"]
    assert results[0]["spec_digest"] == "abc" and results[0]["changed"] is True


def test_threads_limits_how_many_run_at_once(env):
    lock, running, most = threading.Lock(), [0], [0]

    def action(spec):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        threading.Event().wait(0.01)
        with lock:
            running[0] -= 1
        return {}

    runner = Runner(env, Ships().connect)
    runner.run_each(["db-1", "api-1", "api-2", "web-1"], action, threads=1)
    assert most[0] == 1


def test_a_container_error_fails_only_its_instance_and_keeps_what_was_done(env):
    def action(spec):
        if spec["name"] == "api-1":
            raise ContainerError("api-1: exited with code 1", result={"changed": True, "actions": ["created"]})
        return {"changed": True, "actions": ["started"]}

    results = Runner(env, Ships().connect).run_each(["db-1", "api-1"], action)
    assert results[0]["failed"] is False and results[0]["actions"] == ["started"]
    assert results[1] == {
        "instance": "api-1",
        "service": "api",
        "ship": "ship1",
        "changed": True,
        "failed": True,
        "actions": ["created"],
        "reasons": [],
        "msg": "api-1: exited with code 1",
    }


def test_a_docker_error_becomes_the_instances_message(env):
    def action(spec):
        raise docker.errors.APIError("500 Server Error", explanation=b"conflict: name in use ")

    results = Runner(env, Ships().connect).run_each(["db-1"], action)
    assert results[0]["failed"] is True
    assert results[0]["msg"] == "db-1: conflict: name in use"
    assert "unreachable" not in results[0]


def test_a_docker_exception_without_explanation_shows_its_text(env):
    def action(spec):
        raise docker.errors.DockerException("Error while fetching server API version")

    results = Runner(env, Ships().connect).run_each(["web-1"], action)
    assert results[0]["msg"] == "web-1: Error while fetching server API version"


def test_an_unreachable_ship_fails_its_instance_and_is_then_down_at_once(env):
    ships = Ships(down={"ship2"})
    runner = Runner(env, ships.connect)
    results = runner.run_each(["db-1", "api-2"], lambda spec: {"changed": runner.client(spec["ship"]) is not None})
    assert results[0]["failed"] is False and results[0]["changed"] is True
    assert results[1] == {
        "instance": "api-2",
        "service": "api",
        "ship": "ship2",
        "changed": False,
        "failed": True,
        "actions": [],
        "reasons": [],
        "msg": UNREACHABLE,
        "unreachable": True,
    }
    assert str(runner.down["ship2"]) == UNREACHABLE
    with pytest.raises(ShipUnreachable) as info:
        runner.client("ship2")
    assert info.value is runner.down["ship2"]
    assert ships.connects.count("ship2") == 1  # asked once


def test_a_connection_error_in_the_action_is_an_unreachable_ship(env):
    def action(spec):
        raise requests.exceptions.ConnectionError(
            "('Connection aborted.', ConnectionRefusedError(111, '[Errno 111] Connection refused'))"
        )

    ships = Ships()
    runner = Runner(env, ships.connect)
    results = runner.run_each(["tool-1"], action)
    message = "ship ship2 (tcp://10.250.0.202:2375) is unreachable: [Errno 111] Connection refused"
    assert results[0]["msg"] == message and results[0]["unreachable"] is True
    with pytest.raises(ShipUnreachable, match=r"\[Errno 111\]"):
        runner.client("ship2")
    assert ships.connects == []  # marked down by the action: not even tried


def test_client_connects_to_the_ship_and_logs_in_to_the_registries_with_users(env):
    ships = Ships()
    runner = Runner(env, ships.connect)
    client = runner.client("ship1")
    assert client is ships.clients["ship1"]
    assert ships.connects == ["ship1"]
    assert client._auth_configs.added == [
        (
            "reg.example.com:5000",
            {"username": "bot", "password": "hunter2", "serveraddress": "https://reg.example.com:5000/v2/"},
        )
    ]


# ---------------------------------------------------------------------- interrupts
@pytest.mark.parametrize(
    "signals, named",
    [
        (["SIGINT"], "SIGINT"),
        (["SIGTERM", "SIGINT"], "SIGINT"),  # the user's own Ctrl-C, forwarded after the cleanup's SIGTERM
        (["SIGINT", "SIGTERM"], "SIGINT"),
        (["SIGTERM", "SIGTERM"], "SIGTERM"),
        (["SIGHUP", "SIGINT"], "SIGHUP"),
    ],
)
def test_interrupt_names_the_first_signal_unless_a_sigint_follows_a_sigterm(env, signals, named):
    runner = Runner(env, Ships().connect)
    assert runner.interrupted is None
    for name in signals:
        runner.interrupt(name)
    assert runner.interrupted == named


def test_admit_refuses_once_interrupted(env):
    runner = Runner(env, Ships().connect)
    runner.interrupt("SIGINT")
    assert runner.admit(["db-1"]) is False
    results = runner.run_each(["db-1", "api-1"], lambda spec: {"changed": True})
    assert [(r["skipped"], r["msg"], r["changed"]) for r in results] == [
        (True, "not run: interrupted (SIGINT)", False),
        (True, "not run: interrupted (SIGINT)", False),
    ]


def test_after_an_interrupt_only_the_admitted_instances_run(env):
    ran = []
    runner = Runner(env, Ships().connect)
    assert runner.admit(["api-1", "db-1", "web-1"], threads=2) is True  # the first two
    runner.interrupt("SIGTERM")
    results = runner.run_each(["db-1", "api-1", "web-1"], lambda spec: ran.append(spec["name"]) or {"changed": True})
    assert sorted(ran) == ["api-1", "db-1"]
    assert [r.get("msg") for r in results] == [None, None, "not run: interrupted (SIGTERM)"]
    assert [r["changed"] for r in results] == [True, True, False]


def test_a_release_forgets_what_work_before_the_step_admitted(env):
    """A plan's check of every instance runs through run_each before the first step: the run releases
    them, so an interrupt then spares only what a step announced."""
    runner = Runner(env, Ships().connect)
    runner.run_each(["db-1", "api-1", "api-2"], lambda spec: {})  # admits all three
    runner.release(["db-1", "api-1", "api-2"])
    assert runner.admit(["db-1", "api-1", "api-2"], threads=1) is True
    runner.interrupt("SIGINT")
    results = runner.run_each(["db-1", "api-1", "api-2"], lambda spec: {"changed": True}, threads=1)
    assert [r["changed"] for r in results] == [True, False, False]


def test_admit_takes_no_more_than_max_threads(env, monkeypatch):
    monkeypatch.setattr(runner_module, "MAX_THREADS", 2)
    one = Runner(env, Ships().connect)
    one.admit(["db-1", "api-1", "api-2", "web-1"])
    one.interrupt("SIGINT")
    results = one.run_each(["db-1", "api-1", "api-2", "web-1"], lambda spec: {"changed": True})
    assert [r["changed"] for r in results] == [True, True, False, False]


def test_an_interrupt_during_a_one_at_a_time_run_starts_no_other(env):
    ran = []
    runner = Runner(env, Ships().connect)

    def action(spec):
        ran.append(spec["name"])
        runner.interrupt("SIGINT")
        return {"changed": True}

    results = runner.run_each(["db-1", "api-1", "tool-1"], action, threads=1)
    assert ran == ["db-1"]
    assert [r.get("msg") for r in results] == [None, "not run: interrupted (SIGINT)", "not run: interrupted (SIGINT)"]


def test_an_interrupt_during_a_parallel_run_lets_all_of_it_finish(env):
    ran = []
    runner = Runner(env, Ships().connect)

    def action(spec):
        ran.append(spec["name"])
        runner.interrupt("SIGINT")
        return {"changed": True}

    results = runner.run_each(["db-1", "api-1", "tool-1"], action)
    assert sorted(ran) == ["api-1", "db-1", "tool-1"]
    assert all(r["changed"] and not r.get("skipped") for r in results)


# ---------------------------------------------------------------------- list_containers
def test_list_containers_lists_each_ship_once_for_its_instances(env):
    ships = Ships(ship1=[entry("db-1"), entry("api-10")], ship2=[entry("web-1", "exited")])
    runner = Runner(env, ships.connect)
    listed, aside = runner.list_containers(["db-1", "api-1", "web-1", "api-2"])
    assert listed == {"db-1": entry("db-1"), "api-1": None, "web-1": entry("web-1", "exited"), "api-2": None}
    assert aside == dict.fromkeys(listed, {"previous": None, "failed": None})
    assert ships.clients["ship1"].listed == [(True, {"name": ["db-1", "api-1"]})]
    assert ships.clients["ship2"].listed == [(True, {"name": ["web-1", "api-2"]})]


def test_list_containers_of_nothing_is_empty(env):
    ships = Ships()
    assert Runner(env, ships.connect).list_containers([]) == ({}, {})
    assert ships.connects == []


def test_a_ship_whose_listing_fails_is_left_out(env):
    ships = Ships(ship1=[entry("db-1")], ship2=docker.errors.APIError("500 Server Error"))
    runner = Runner(env, ships.connect)
    assert runner.list_containers(["db-1", "web-1", "tool-1"])[0] == {"db-1": entry("db-1")}
    assert runner.down == {}  # an API error does not make the ship down


def test_a_lost_ship_is_left_out_of_the_listing_and_marked_down(env):
    ships = Ships(down={"ship2"}, ship1=[entry("db-1")])
    runner = Runner(env, ships.connect)
    assert runner.list_containers(["db-1", "web-1"])[0] == {"db-1": entry("db-1")}
    assert str(runner.down["ship2"]) == UNREACHABLE
    assert runner.list_containers(["web-1", "tool-1"]) == ({}, {})
    assert ships.connects.count("ship2") == 1


def test_a_listing_that_loses_the_connection_marks_the_ship_down(env):
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    ships = Ships(ship2=refused)
    runner = Runner(env, ships.connect)
    assert runner.list_containers(["web-1"]) == ({}, {})
    assert str(runner.down["ship2"]) == (
        "ship ship2 (tcp://10.250.0.202:2375) is unreachable: [Errno 111] Connection refused"
    )
