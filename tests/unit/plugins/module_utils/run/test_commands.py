"""One run as the orchestrate action and the ``maestro`` command call it (run/commands.py), on fake
ships: the option checks, the environment's lock (in a temporary XDG_CACHE_HOME), a signal while
waiting for it or during the run, plan and apply_plan files, the diff, and ``logs``.

The Orchestrator that orchestrate() makes is given the fake ships through its ``connect_ship``
and ``manager`` seams (as in test_orchestrate.py); logs() gets a fake client through the
module's ``connect``.
"""

import copy
import functools
import json
import os
import re
import signal

import docker.errors
import pytest
import requests

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError, MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.run import commands, lock
from ansible_collections.maestro.ng.plugins.module_utils.run.lock import EnvironmentLock
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator
from ansible_collections.maestro.ng.plugins.module_utils.run.runner import blank_result
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.sched_env import ENV

ALL = ["db-1", "api-1", "api-2", "web-1", "tool-1"]
IMAGE_ID = "sha256:" + "a" * 64
NEW_IMAGE_ID = "sha256:" + "b" * 64


class Ships:
    """The fake ships: a client per ship, the instances that fail, the diffs to report,
    what happens during a converge (``during``), and the journal of every converge."""

    def __init__(self, failing=(), diffs=None, during=None):
        self.failing = set(failing)
        self.diffs = dict(diffs or {})
        self.during = during
        self.image_id = IMAGE_ID
        self.journal = []  # (instance, state, check_mode)

    def connect(self, ship):
        return FakeClient(self)

    def manager(self, client, spec, check_mode=False, **options):
        return FakeManager(self, spec, check_mode)


class FakeClient:
    """Only what a run and a plan's live state ask: the listing, and the inspects (no container,
    the image with the ships' current id)."""

    def __init__(self, ships):
        self.ships = ships

    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        return []

    def inspect_container(self, name):
        raise docker.errors.NotFound("No such container: %s" % name)

    def inspect_image(self, image):
        return {"Id": self.ships.image_id, "Config": {"Cmd": ["sh"]}}


class FakeManager:
    def __init__(self, ships, spec, check_mode):
        self.ships, self.spec, self.check_mode = ships, spec, check_mode

    def converge(self, state, refresh=False, only_if_stopped=False, listed=None, aside=None):
        name = self.spec["name"]
        self.ships.journal.append((name, state, self.check_mode))
        if self.ships.during:
            self.ships.during(name)
        if name in self.ships.failing:
            raise ContainerError("%s: exited with code 1" % name)
        verb = "would create" if self.check_mode else "created"
        result = {"changed": True, "actions": [verb], "reasons": []}
        if name in self.ships.diffs:
            result["diff"] = self.ships.diffs[name]
        return result

    def proves_ready(self):
        return False


def options(**changes):
    """The orchestrate action's options: ORCHESTRATE_SPEC's defaults, with ``changes``."""
    given = {key: copy.deepcopy(spec.get("default")) for key, spec in ORCHESTRATE_SPEC.items()}
    assert set(changes) <= set(given), set(changes) - set(given)
    given.update(changes)
    return given


@pytest.fixture
def env(load_env):
    return load_env(ENV)


@pytest.fixture
def locks(monkeypatch, tmp_path):
    """The lock folder, in a temporary XDG_CACHE_HOME; polls every millisecond."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(lock, "POLL_SECONDS", 0.001)
    return tmp_path / "cache" / "maestro.ng" / "locks"


@pytest.fixture
def ships(monkeypatch):
    ships = Ships()
    seams = functools.partial(Orchestrator, connect_ship=ships.connect, manager=ships.manager)
    monkeypatch.setattr(commands, "Orchestrator", seams)
    return ships


def run(env, names=None, check_mode=False, lines=None, **changes):
    progress = lines.append if lines is not None else (lambda line: None)
    return commands.orchestrate(env, list(names or ALL), options(**changes), progress, check_mode=check_mode)


def converged(ships):
    return [name for name, _state, _check in ships.journal]


# ---------------------------------------------------------------------- options
def test_the_options_are_the_orchestrate_specs_arguments_with_their_defaults(env, locks, ships):
    assert options() == {
        "env": None,
        "services": [],
        "with_dependencies": True,
        "ships": [],
        "state": "started",
        "refresh_images": False,
        "only_if_changed": False,
        "step_delay": 0,
        "stop_start_delay": 0,
        "rolling": False,
        "keep_going": False,
        "start_grace": 0,
        "wait_healthy": True,
        "rerun_oneshots": False,
        "plan": None,
        "apply_plan": None,
        "lock_timeout": 300,
        "adopt": False,
        "update_parallelism": None,
        "update_delay": None,
        "update_failure_action": None,
        "concurrency": None,
        "ship_concurrency": 32,
    }
    result = commands.orchestrate(env, ALL, options(), lambda line: None)
    assert result["failed"] is False and result["environment"] == "sched"
    assert result["counts"] == {"total": 5, "changed": 5, "failed": 0, "skipped": 0}
    assert sorted(converged(ships)) == sorted(ALL)
    assert "diff" not in result and "plan" not in result


def test_plan_and_apply_plan_exclude_each_other(env, locks, ships):
    lines = []
    result = run(env, check_mode=True, lines=lines, plan="/tmp/p.json", apply_plan="/tmp/q.json")
    assert result == {"failed": True, "msg": "plan and apply_plan exclude each other"}
    assert lines == [] and ships.journal == [] and not locks.exists()


@pytest.mark.parametrize("bound", ["concurrency", "ship_concurrency"])
def test_a_bound_below_one_is_refused_before_anything(env, locks, ships, bound):
    result = run(env, **{bound: 0})
    assert result == {"failed": True, "msg": "%s: 0 is not a number of operations at once (1 or more)" % bound}
    assert ships.journal == [] and not locks.exists()


def test_the_bounds_reach_the_orchestrator(env, locks, ships, monkeypatch):
    given, seams = [], commands.Orchestrator  # the fake ships' (the ships fixture)

    def orchestrator(*args, **kwargs):
        given.append(kwargs)
        return seams(*args, **kwargs)

    monkeypatch.setattr(commands, "Orchestrator", orchestrator)
    result = run(env, concurrency=1, ship_concurrency=2)
    assert not result["failed"] and (given[0]["concurrency"], given[0]["ship_concurrency"]) == (1, 2)


def test_plan_is_refused_without_check_mode(env, locks, ships):
    result = run(env, plan="/tmp/p.json")
    assert result == {"failed": True, "msg": "plan=FILE writes what a --check run would do: add --check"}
    assert ships.journal == [] and not locks.exists()


# ---------------------------------------------------------------------- the lock
def test_a_changing_run_holds_the_environments_lock_for_the_owner(env, locks, ships):
    holders = []
    ships.during = lambda name: holders.append(EnvironmentLock("sched").holder()["pid"])
    result = commands.orchestrate(env, ["db-1"], options(), lambda line: None, lock_owner=os.getppid())
    assert result["failed"] is False
    assert holders == [os.getppid()]
    assert os.path.exists(locks / "sched.lock")
    assert EnvironmentLock("sched").holder() == {}  # released


def test_a_lock_timeout_becomes_a_failed_result(env, locks, ships):
    lines = []
    with EnvironmentLock("sched", owner=os.getpid()) as held:
        since = held.holder()["since"]
        result = run(env, lines=lines, lock_timeout=0.01)
    holder = "pid %d (%s) since %s" % (os.getpid(), lock.command_of(os.getpid()), since)
    assert result == {
        "failed": True,
        "msg": "environment sched is locked by another run on this controller: %s; gave up after 0.01s "
        "(-e lock_timeout=SECONDS; lock file %s)" % (holder, locks / "sched.lock"),
    }
    assert lines == ["environment sched is locked by another run on this controller: %s; waiting up to 0.01s" % holder]
    assert ships.journal == []


def test_a_check_run_takes_no_lock(env, locks, ships):
    with EnvironmentLock("sched"):
        result = run(env, check_mode=True, lock_timeout=0)
    assert result["failed"] is False
    assert {check for _name, _state, check in ships.journal} == {True}


def test_a_check_run_of_an_unlocked_environment_makes_no_lock_file(env, locks, ships):
    run(env, check_mode=True)
    assert not locks.exists()


# ---------------------------------------------------------------------- signals
def test_a_signal_while_waiting_for_the_lock_stops_the_run_before_it_begins(env, locks, ships):
    lines, interrupts = [], []
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    def progress(line):
        lines.append(line)
        if line.startswith("environment sched is locked"):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)  # only noted

    with EnvironmentLock("sched"):
        result = commands.orchestrate(
            env, ALL, options(lock_timeout=5), progress, on_interrupt=lambda: interrupts.append(1)
        )
    assert result == {
        "failed": True,
        "interrupted": "SIGINT",
        "msg": "interrupted (SIGINT) before it began: nothing done",
    }
    assert lines[1:] == [
        "SIGINT: finishing the containers in progress, starting no new ones",
        "interrupted (SIGINT) before it began: nothing done",
    ]
    assert interrupts == [1]
    assert ships.journal == []
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_signal_during_the_run_lets_the_level_finish_and_runs_no_other(env, locks, ships):
    lines, interrupts = [], []

    def during(name):
        if name == "db-1":
            os.kill(os.getpid(), signal.SIGTERM)

    ships.during = during
    result = commands.orchestrate(
        env,
        ["db-1", "api-1", "web-1"],
        options(),
        lines.append,
        on_interrupt=lambda: interrupts.append(1),
    )
    assert converged(ships) == ["db-1"]
    assert result["failed"] is True and result["interrupted"] == "SIGTERM"
    assert result["msg"].startswith("interrupted (SIGTERM), done so far: ")
    assert result["msg"].endswith("; not run: api-1, web-1; the same command again converges the rest")
    assert "SIGTERM: finishing the containers in progress, starting no new ones" in lines
    assert lines[-1] == result["msg"]
    assert interrupts == [1]
    assert EnvironmentLock("sched").holder() == {}


# ---------------------------------------------------------------------- plans
def test_a_check_run_writes_its_plan(env, locks, ships, tmp_path):
    path = str(tmp_path / "plan.json")
    lines = []
    result = run(env, check_mode=True, lines=lines, plan=path, services=["web"])
    assert result["failed"] is False and result["plan"] == path
    assert lines[-1] == "plan written to %s: 5 create" % path
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    assert doc["command"] == "started" and doc["environment"] == "sched"
    assert doc["selection"] == {"services": ["web"], "ships": [], "with_dependencies": True}
    assert [e["instance"] for e in doc["instances"]] == ["db-1", "tool-1", "api-1", "api-2", "web-1"]
    assert doc["instances"][0]["live"] == {
        "container_id": None,
        "state": "absent",
        "image_id": None,
        "started_at": None,
        "spec_image_id": IMAGE_ID,
    }
    assert not os.path.exists(path + ".tmp")


def test_a_plan_of_a_failed_check_run_is_not_written(env, locks, ships, tmp_path):
    path = tmp_path / "plan.json"
    ships.failing = {"db-1"}
    result = run(env, ["db-1"], check_mode=True, plan=str(path))
    assert result["failed"] is True
    assert result["msg"] == "cannot write a plan, 1 instance(s) failed or were skipped: db-1: exited with code 1"
    assert "plan" not in result
    assert not path.exists() and not (tmp_path / "plan.json.tmp").exists()


def test_a_plan_is_applied_to_the_instances_it_names(env, locks, ships, tmp_path):
    path = str(tmp_path / "plan.json")
    run(env, ["db-1", "tool-1"], check_mode=True, plan=path)
    ships.journal.clear()
    result = run(env, ["api-1"], apply_plan=path)
    assert result["failed"] is False
    assert sorted(converged(ships)) == ["db-1", "tool-1"]
    assert {check for _name, _state, check in ships.journal} == {False}


def test_a_plan_whose_live_state_moved_is_refused_and_nothing_changes(env, locks, ships, tmp_path):
    path = str(tmp_path / "plan.json")
    run(env, ["tool-1"], check_mode=True, plan=path)
    ships.journal.clear()
    ships.image_id = NEW_IMAGE_ID
    result = run(env, ["tool-1"], apply_plan=path)
    moved = "tool-1: spec_image_id changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)"
    assert result == {
        "failed": True,
        "changed": False,
        "moved": [moved],
        "msg": "plan %s refused, nothing was changed: the live state moved since it was made: %s" % (path, moved),
    }
    assert ships.journal == []


def test_a_plan_for_another_command_is_refused(env, locks, ships, tmp_path):
    path = str(tmp_path / "plan.json")
    run(env, ["tool-1"], check_mode=True, plan=path)
    ships.journal.clear()
    result = run(env, ["tool-1"], apply_plan=path, state="stopped")
    assert result == {"failed": True, "msg": "plan %s: the plan is for started, not stopped" % path}
    assert ships.journal == []


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "[Errno 2] No such file or directory: '{path}'"),
        ("", "Expecting value: line 1 column 1 (char 0)"),
        ('{"maestro_plan": 2, "environment": "prod"}', "the plan is for environment 'prod', not 'sched'"),
        ("[]", "not a maestro.ng plan (version 2 expected)"),
    ],
)
def test_a_plan_file_that_cannot_be_read_fails_the_run(env, locks, ships, tmp_path, text, message):
    path = tmp_path / "plan.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    result = run(env, apply_plan=str(path))
    assert result == {"failed": True, "msg": "plan %s: %s" % (path, message.format(path=path))}
    assert ships.journal == []


# ---------------------------------------------------------------------- write_plan
@pytest.fixture
def plans_folder(tmp_path):
    """A folder of its own (the environment file is in tmp_path)."""
    folder = tmp_path / "plans"
    folder.mkdir()
    return folder


def summary_of(env):
    return {
        "instances": [
            blank_result(env.instances["db-1"], changed=True, actions=["would create"]),
            blank_result(env.instances["api-1"]),
            blank_result(env.instances["tool-1"], changed=True, actions=["would start"]),
            blank_result(env.instances["web-1"], changed=True, actions=["would create", "would start"]),
        ]
    }


def test_write_plan_writes_the_whole_file_and_says_what_it_holds(env, plans_folder):
    path = plans_folder / "plan.json"
    lines = []
    assert (
        commands.write_plan(env, "started", summary_of(env), options(plan=str(path), ships=["ship1"]), lines.append)
        is None
    )
    assert lines == ["plan written to %s: 2 create, 1 none, 1 start" % path]
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n "maestro_plan": 2,\n "environment": "sched",\n')
    doc = json.loads(text)
    assert doc["selection"] == {"services": [], "ships": ["ship1"], "with_dependencies": True}
    assert [(e["instance"], e["action"]) for e in doc["instances"]] == [
        ("db-1", "create"),
        ("api-1", "none"),
        ("tool-1", "start"),
        ("web-1", "create"),
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["made_at"])
    assert os.listdir(plans_folder) == ["plan.json"]


def test_write_plan_replaces_the_old_file_in_one_step(env, tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    path.write_text("old plan", encoding="utf-8")
    seen = []
    replace = os.replace

    def spy(source, target):
        # The new plan is complete in its temporary file while the old one is still whole.
        with open(source, encoding="utf-8") as handle:
            seen.append((source, target, json.load(handle)["command"], path.read_text()))
        replace(source, target)

    monkeypatch.setattr(commands.os, "replace", spy)
    commands.write_plan(env, "started", summary_of(env), options(plan=str(path)), lambda line: None)
    assert seen == [(str(path) + ".tmp", str(path), "started", "old plan")]
    assert json.loads(path.read_text(encoding="utf-8"))["command"] == "started"


def test_write_plan_failing_half_way_leaves_the_old_file_and_no_temporary_one(env, plans_folder, monkeypatch):
    path = plans_folder / "plan.json"
    path.write_text("old plan", encoding="utf-8")

    def broken_dump(doc, handle, **options):
        handle.write('{"maestro_plan"')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(commands.json, "dump", broken_dump)
    with pytest.raises(OSError):
        commands.write_plan(env, "started", summary_of(env), options(plan=str(path)), lambda line: None)
    assert path.read_text(encoding="utf-8") == "old plan"
    assert os.listdir(plans_folder) == ["plan.json"]


def test_write_plan_leaves_the_old_file_when_the_plan_cannot_be_made(env, plans_folder):
    path = plans_folder / "plan.json"
    path.write_text("old plan", encoding="utf-8")
    summary = {"instances": [blank_result(env.instances["db-1"], skipped=True, msg="not run: level 1 failed")]}
    lines = []
    with pytest.raises(ContainerError, match=r"^cannot write a plan, 1 instance\(s\) failed or were skipped: not run"):
        commands.write_plan(env, "started", summary, options(plan=str(path)), lines.append)
    assert path.read_text(encoding="utf-8") == "old plan"
    assert os.listdir(plans_folder) == ["plan.json"] and lines == []


# ---------------------------------------------------------------------- diff
def test_diff_gives_each_changed_instances_diff_with_its_name_as_headers(env, locks, ships):
    ships.diffs = {"tool-1": {"before": {"env": {"A": "1"}}, "after": {"env": {"A": "2"}}}}
    result = commands.orchestrate(env, ["db-1", "tool-1"], options(), lambda line: None, diff=True)
    assert result["diff"] == [
        {
            "before": {"env": {"A": "1"}},
            "after": {"env": {"A": "2"}},
            "before_header": "tool-1",
            "after_header": "tool-1",
        }
    ]


# ---------------------------------------------------------------------- logs
class LogClient:
    def __init__(self, output=b"", chunks=(), error=None):
        self.output, self.chunks, self.error = output, chunks, error
        self.calls = []

    def logs(self, name, **kwargs):
        self.calls.append((name, kwargs))
        if self.error is not None:
            raise self.error
        return iter(self.chunks) if kwargs.get("stream") else self.output


@pytest.fixture
def log_ship(monkeypatch):
    """``log_ship(client)``: the module's ``connect`` gives ``client``; the ships it was asked for."""
    asked = []

    def use(client):
        def connect(ship):
            asked.append(ship["name"])
            if isinstance(client, Exception):
                raise client
            return client

        monkeypatch.setattr(commands, "connect", connect)
        return asked

    return use


def test_logs_of_an_unknown_instance(env, log_ship):
    asked = log_ship(LogClient())
    with pytest.raises(MaestroError) as info:
        commands.logs(env, "nope-1", print)
    assert str(info.value) == "unknown instance 'nope-1' (known: db-1, tool-1, api-1, api-2, web-1)"
    assert asked == []


def test_logs_gives_the_last_lines_of_the_instance_on_its_ship(env, log_ship):
    client = LogClient(output=b"one\r\ntwo\nbad \xff byte\n")
    asked = log_ship(client)
    assert commands.logs(env, "web-1", print, tail=100) == ["one", "two", "bad \ufffd byte"]
    assert asked == ["ship2"]
    assert client.calls == [("web-1", {"tail": 100})]


def test_logs_without_a_tail_asks_for_all(env, log_ship):
    client = LogClient(output=b"")
    log_ship(client)
    assert commands.logs(env, "db-1", print) == []
    assert client.calls == [("db-1", {"tail": "all"})]


def test_followed_logs_end_their_lines_as_the_whole_log_does(env, log_ship):
    log_ship(LogClient(chunks=[b"dos\r\nunix\n"]))
    shown = []
    commands.logs(env, "db-1", shown.append, follow=True)
    assert shown == ["dos", "unix"]


def test_followed_logs_are_shown_line_by_line_as_they_come(env, log_ship):
    client = LogClient(chunks=[b"first\nsec", b"ond\n", b"\xc3", b"\xa9t\xc3\xa9\nlast"])
    log_ship(client)
    shown = []
    assert commands.logs(env, "db-1", shown.append, tail=0, follow=True) == []
    assert shown == ["first", "second", "été", "last"]
    assert client.calls == [("db-1", {"stream": True, "follow": True, "tail": 0})]


def test_logs_of_a_missing_container(env, log_ship):
    response = requests.Response()
    response.status_code, response.reason, response.url = (
        404,
        "Not Found",
        "http+docker://localhost/containers/db-1/logs",
    )
    log_ship(LogClient(error=docker.errors.NotFound("No such container: db-1", response=response)))
    with pytest.raises(MaestroError) as info:
        commands.logs(env, "db-1", print)
    assert str(info.value) == "db-1: no such container on ship ship1"


def test_logs_with_another_docker_error(env, log_ship):
    log_ship(LogClient(error=docker.errors.APIError("500 Server Error", explanation="driver failed")))
    with pytest.raises(MaestroError) as info:
        commands.logs(env, "db-1", print)
    assert str(info.value) == 'db-1: 500 Server Error ("driver failed")'


def test_logs_of_an_unreachable_ship(env, log_ship):
    log_ship(LogClient(error=requests.exceptions.ConnectionError("[Errno 111] Connection refused")))
    with pytest.raises(ShipUnreachable) as info:
        commands.logs(env, "web-1", print)
    assert str(info.value) == "ship ship2 (tcp://10.250.0.202:2375) is unreachable: [Errno 111] Connection refused"


def test_logs_when_the_ship_cannot_be_connected(env, log_ship):
    log_ship(ShipUnreachable("ship1", "tcp://10.250.0.201:2375", "no such file: /ca.pem", "has a bad tls_ca_cert"))
    with pytest.raises(ShipUnreachable, match=r"^ship ship1 \(tcp://10.250.0.201:2375\) has a bad tls_ca_cert"):
        commands.logs(env, "db-1", print)
