"""Plan files (run/plans.py): the fingerprint of a spec, what a check-mode result plans to do,
the plan document written and read back, and the live-state guard that refuses a plan whose
containers moved, on a fake Docker client."""

import copy
import json
import re

import docker.errors
import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.plugins.module_utils.run import plans
from ansible_collections.maestro.ng.plugins.module_utils.run.runner import Runner, blank_result

ENV = """
name: planned
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  db:
    image: postgres:16
    instances:
      db-1: {ship: ship1}
  web:
    image: nginx:1
    requires: [db]
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship2}
"""
CONTAINER_ID = "c" * 64
OTHER_ID = "d" * 64
IMAGE_ID = "sha256:" + "a" * 64
NEW_IMAGE_ID = "sha256:" + "b" * 64
STARTED = "2024-05-01T10:00:00.123456789Z"


class FakeClient:
    """inspect_container / inspect_image from dicts; NotFound for what is not there."""

    def __init__(self, containers=None, images=None):
        self.containers = dict(containers or {})
        self.images = dict(images or {})
        self.calls = []

    def inspect_container(self, name):
        self.calls.append(("inspect_container", name))
        if name not in self.containers:
            raise docker.errors.NotFound("No such container: %s" % name)
        return self.containers[name]

    def inspect_image(self, image):
        self.calls.append(("inspect_image", image))
        if image not in self.images:
            raise docker.errors.NotFound("No such image: %s" % image)
        return self.images[image]


def running(image_id=IMAGE_ID, container_id=CONTAINER_ID, started=STARTED):
    return {
        "Id": container_id,
        "Image": image_id,
        "State": {"Running": True, "Status": "running", "StartedAt": started},
    }


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def live(**changes):
    state = {
        "container_id": CONTAINER_ID,
        "state": "running",
        "image_id": IMAGE_ID,
        "started_at": STARTED,
        "spec_image_id": IMAGE_ID,
    }
    state.update(changes)
    return state


def entry_of(env, name, action="restart", **live_changes):
    return {
        "instance": name,
        "service": env.instances[name]["service"],
        "ship": env.instances[name]["ship"],
        "action": action,
        "reasons": [],
        "actions": [],
        "live": live(**live_changes),
        "spec_digest": plans.spec_digest(env.instances[name]),
    }


# ---------------------------------------------------------------------- spec_digest
def test_spec_digest_is_sixteen_hex_digits_of_the_sorted_json():
    assert plans.spec_digest({"name": "web-1", "image": "nginx:1"}) == "e4c61f1df657a02b"
    assert plans.spec_digest({"image": "nginx:1", "name": "web-1"}) == "e4c61f1df657a02b"


def test_spec_digest_is_stable_for_a_copy_and_changes_with_any_setting(env):
    spec = env.instances["web-1"]
    digest = plans.spec_digest(spec)
    assert re.fullmatch(r"[0-9a-f]{16}", digest)
    assert plans.spec_digest(copy.deepcopy(spec)) == digest
    assert plans.spec_digest(dict(spec, image="nginx:2")) != digest
    assert plans.spec_digest(dict(spec, env=dict(spec["env"], EXTRA="1"))) != digest
    assert plans.spec_digest(env.instances["web-2"]) != digest


# ---------------------------------------------------------------------- plan_action
@pytest.mark.parametrize(
    "command, result, action",
    [
        ("started", {"changed": False, "actions": ["would create"]}, "none"),
        ("stopped", {"changed": False}, "none"),
        (
            "started",
            {"changed": True, "reasons": ["image changed"], "actions": ["would stop", "would create"]},
            "replace",
        ),
        ("restarted", {"changed": True, "reasons": ["env FOO changed"], "actions": []}, "replace"),
        ("started", {"changed": True, "actions": ["would create", "would start"]}, "create"),
        ("started", {"changed": True, "actions": ["would pull nginx:1"], "live": live(state="absent")}, "create"),
        ("restarted", {"changed": True, "actions": ["would stop", "would start"]}, "restart"),
        ("started", {"changed": True, "actions": ["would start"]}, "start"),
        ("started", {"changed": True, "actions": ["would start"], "live": live(state="exited")}, "start"),
        ("started", {"changed": True, "actions": ["would pull nginx:1"]}, "pull"),
        ("started", {"changed": True}, "pull"),
        ("stopped", {"changed": True, "actions": ["would stop"]}, "stop"),
        ("killed", {"changed": True, "actions": ["would kill"]}, "kill"),
        ("absent", {"changed": True, "actions": ["would remove"]}, "remove"),
        ("cleaned", {"changed": True, "actions": ["would remove"]}, "remove"),
        ("pulled", {"changed": True, "actions": ["would pull busybox"]}, "pull"),
    ],
)
def test_plan_action_of_each_command_and_result(command, result, action):
    assert plans.plan_action(command, result) == action


# ---------------------------------------------------------------------- make_plan
def test_make_plan_writes_each_instance_with_its_action_and_live_state(env):
    web = blank_result(env.instances["web-1"], changed=True, actions=["would create"])
    web.update(live=live(container_id=None, state="absent", image_id=None, started_at=None), spec_digest="0123")
    db = blank_result(env.instances["db-1"])
    summary = {"instances": [db, web]}
    selection = {"services": ["web"], "ships": [], "with_dependencies": True}
    doc = plans.make_plan(env, "started", summary, selection=selection)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc.pop("made_at"))
    assert doc == {
        "maestro_plan": 2,
        "environment": "planned",
        "file": env.file,
        "command": "started",
        "selection": selection,
        "instances": [
            {
                "instance": "db-1",
                "service": "db",
                "ship": "ship1",
                "action": "none",
                "reasons": [],
                "actions": [],
                "rollout": None,
                "keeps": [],
                "live": None,
                "spec_digest": None,
            },
            {
                "instance": "web-1",
                "service": "web",
                "ship": "ship1",
                "action": "create",
                "reasons": [],
                "actions": ["would create"],
                "rollout": None,
                "keeps": [],
                "live": live(container_id=None, state="absent", image_id=None, started_at=None),
                "spec_digest": "0123",
            },
        ],
    }
    assert json.loads(json.dumps(doc)) == doc


def test_make_plan_without_a_selection_records_an_empty_one(env):
    doc = plans.make_plan(env, "stopped", {"instances": []})
    assert doc["selection"] == {} and doc["instances"] == []


def test_make_plan_refuses_failed_and_skipped_instances(env):
    summary = {
        "instances": [
            blank_result(env.instances["db-1"], failed=True, msg="db-1: no such image"),
            blank_result(env.instances["web-1"], changed=True),
            blank_result(env.instances["web-2"], skipped=True),
        ]
    }
    with pytest.raises(ContainerError) as info:
        plans.make_plan(env, "started", summary)
    assert str(info.value) == "cannot write a plan, 2 instance(s) failed or were skipped: db-1: no such image; web-2"


# ---------------------------------------------------------------------- read_plan
def plan_doc(env, command="started", names=("db-1", "web-1")):
    summary = {
        "instances": [blank_result(env.instances[name], changed=True, actions=["would start"]) for name in names]
    }
    return json.loads(json.dumps(plans.make_plan(env, command, summary)))


def test_read_plan_gives_the_entries_by_instance(env):
    entries = plans.read_plan(env, "started", plan_doc(env))
    assert list(entries) == ["db-1", "web-1"]
    assert entries["web-1"]["action"] == "start" and entries["web-1"]["ship"] == "ship1"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda doc: [doc], "not a maestro.ng plan (version 2 expected)"),
        (lambda doc: dict(doc, maestro_plan=3), "not a maestro.ng plan (version 2 expected)"),
        (
            lambda doc: dict(doc, maestro_plan=1),
            "a plan of format 1, made by an older maestro.ng (this one reads format 2): make it again with "
            "--check -e plan=FILE",
        ),
        (
            lambda doc: {k: v for k, v in doc.items() if k != "maestro_plan"},
            "not a maestro.ng plan (version 2 expected)",
        ),
        (lambda doc: dict(doc, environment="prod"), "the plan is for environment 'prod', not 'planned'"),
        (lambda doc: dict(doc, command="stopped"), "the plan is for stopped, not started"),
        (
            lambda doc: dict(doc, instances=doc["instances"] + [dict(doc["instances"][0], instance="gone-1")]),
            "the plan names instance 'gone-1', which the environment no longer has",
        ),
    ],
)
def test_read_plan_refuses_a_plan_that_does_not_fit(env, change, message):
    with pytest.raises(ContainerError) as info:
        plans.read_plan(env, "started", change(plan_doc(env)))
    assert str(info.value) == message


@pytest.mark.parametrize(
    "instances",
    [["web-1"], {"web-1": {}}, [{"instance": "web-1"}], "web-1"],
    ids=["strings", "mapping", "no action", "text"],
)
def test_read_plan_refuses_entries_that_are_not_plan_entries(env, instances):
    with pytest.raises(ContainerError) as info:
        plans.read_plan(env, "started", dict(plan_doc(env), instances=instances))
    assert str(info.value) == "not a maestro.ng plan: instances must be a list of entries with an action"


def test_read_plan_of_a_plan_without_instances_is_empty(env):
    assert plans.read_plan(env, "started", dict(plan_doc(env), instances=None)) == {}


# ---------------------------------------------------------------------- live_state
def test_live_state_of_a_running_container(env):
    client = FakeClient({"web-1": running()}, {"nginx:1": {"Id": IMAGE_ID}})
    assert plans.live_state(client, env.instances["web-1"]) == live()
    assert client.calls == [("inspect_container", "web-1"), ("inspect_image", "nginx:1")]


def test_live_state_of_a_stopped_container_with_a_newer_image(env):
    stopped = {
        "Id": CONTAINER_ID,
        "Image": IMAGE_ID,
        "State": {"Running": False, "Status": "exited", "StartedAt": STARTED},
    }
    client = FakeClient({"web-1": stopped}, {"nginx:1": {"Id": NEW_IMAGE_ID}})
    assert plans.live_state(client, env.instances["web-1"]) == live(state="exited", spec_image_id=NEW_IMAGE_ID)


def test_live_state_of_an_absent_container_and_image(env):
    assert plans.live_state(FakeClient(), env.instances["web-1"]) == {
        "container_id": None,
        "state": "absent",
        "image_id": None,
        "started_at": None,
        "spec_image_id": None,
    }


def test_live_state_of_a_container_without_state_details(env):
    client = FakeClient({"web-1": {"Id": CONTAINER_ID, "State": {"Status": "created"}}})
    assert plans.live_state(client, env.instances["web-1"]) == live(
        state="created", image_id=None, started_at=None, spec_image_id=None
    )


# ---------------------------------------------------------------------- moved
@pytest.fixture
def unchanged():
    return FakeClient({"web-1": running(), "web-2": running()}, {"nginx:1": {"Id": IMAGE_ID}})


def test_nothing_moved_when_the_live_state_and_the_spec_are_as_planned(env, unchanged):
    assert plans.moved(unchanged, env.instances["web-1"], entry_of(env, "web-1")) == []


def test_moved_names_each_live_key_that_changed_with_short_ids(env):
    client = FakeClient(
        {"web-1": running(container_id=OTHER_ID, started="2024-05-02T08:00:00Z")},
        {"nginx:1": {"Id": NEW_IMAGE_ID}},
    )
    assert plans.moved(client, env.instances["web-1"], entry_of(env, "web-1")) == [
        "container_id changed (cccccccccccc -> dddddddddddd)",
        "started_at changed (2024-05-01T10:00:00.123456789Z -> 2024-05-02T08:00:00Z)",
        "spec_image_id changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)",
    ]


def test_moved_sees_a_removed_container(env):
    client = FakeClient({}, {"nginx:1": {"Id": IMAGE_ID}})
    assert plans.moved(client, env.instances["web-1"], entry_of(env, "web-1")) == [
        "container_id changed (cccccccccccc -> None)",
        "state changed (running -> absent)",
        "image_id changed (aaaaaaaaaaaa -> None)",
        "started_at changed (2024-05-01T10:00:00.123456789Z -> None)",
    ]


def test_moved_sees_changed_settings_in_the_file(env, unchanged):
    entry = dict(entry_of(env, "web-1"), spec_digest="0000000000000000")
    assert plans.moved(unchanged, env.instances["web-1"], entry) == ["its settings in the environment file changed"]


def test_an_image_missing_when_planned_and_pulled_since_has_not_moved(env, unchanged):
    planned = entry_of(env, "web-1")
    entry = dict(planned, action="create", live=dict(planned["live"], spec_image_id=None))
    assert plans.moved(unchanged, env.instances["web-1"], entry) == []  # the run's own pull brought it
    replaced = FakeClient({"web-1": running()}, {"nginx:1": {"Id": NEW_IMAGE_ID}})
    assert plans.moved(replaced, env.instances["web-1"], entry_of(env, "web-1")) != []  # present then: a move


def test_an_entry_without_live_state_differs_where_the_live_state_is_not_none(env):
    entry = dict(entry_of(env, "web-1"), live=None)
    assert plans.moved(FakeClient(), env.instances["web-1"], entry) == ["state changed (None -> absent)"]


# ---------------------------------------------------------------------- refusals and guarded
def test_refusals_lists_only_the_instances_that_moved(env, unchanged):
    unchanged.containers["web-2"] = running(container_id=OTHER_ID)
    runner = Runner(env, lambda ship: unchanged)
    entries = {name: entry_of(env, name) for name in ("web-1", "web-2")}
    assert plans.refusals(entries, runner.client, runner.run_each) == [
        "web-2: container_id changed (cccccccccccc -> dddddddddddd)"
    ]


def test_refusals_of_an_unmoved_plan_is_empty(env, unchanged):
    runner = Runner(env, lambda ship: unchanged)
    entries = {name: entry_of(env, name) for name in ("web-1", "web-2")}
    assert plans.refusals(entries, runner.client, runner.run_each) == []


def test_guarded_does_nothing_where_the_plan_says_none(env, unchanged):
    done = []
    guard = plans.guarded(lambda spec: done.append(spec["name"]), {"web-1": entry_of(env, "web-1", "none")}, {}.get)
    assert guard(env.instances["web-1"]) == {"changed": False, "actions": ["planned: nothing to do"]}
    assert done == []


def test_guarded_runs_the_action_when_nothing_moved(env, unchanged):
    clients = {"ship1": unchanged}
    guard = plans.guarded(
        lambda spec: {"changed": True, "actions": ["restarted " + spec["name"]]},
        {"web-1": entry_of(env, "web-1")},
        clients.__getitem__,
    )
    assert guard(env.instances["web-1"]) == {"changed": True, "actions": ["restarted web-1"]}


def test_guarded_refuses_an_instance_that_moved(env):
    done = []
    client = FakeClient({"web-1": running(started="2024-05-03T00:00:00Z")}, {"nginx:1": {"Id": IMAGE_ID}})
    guard = plans.guarded(lambda spec: done.append(1), {"web-1": entry_of(env, "web-1")}, {"ship1": client}.get)
    with pytest.raises(ContainerError) as info:
        guard(env.instances["web-1"])
    assert str(info.value) == (
        "web-1: refused, moved since the plan was made: "
        "started_at changed (2024-05-01T10:00:00.123456789Z -> 2024-05-03T00:00:00Z)"
    )
    assert done == []
