"""The orchestrator's scheduling rules, on fake ships (no Docker).

The seams are Orchestrator's ``connect_ship`` (a ship -> its Docker client) and ``manager``
(what converges one container). The fakes record every converge: which instance, to which
state, in check mode or not, and how many ran at that moment. What a real daemon does with
them is tests/integration's (test_playbooks.py, test_hardening.py, test_api_calls.py).
"""

import threading

import docker.errors
import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_DIGEST,
    LABEL_ENVIRONMENT,
    LABEL_INSTANCE,
    config_digest,
    desired_config,
)
from ansible_collections.maestro.ng.plugins.module_utils.run import orchestrate, runner
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.fake_ships import (
    IMAGE_ID,
    FakeClient,
    FakeManager,
    Ships,
)
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.sched_env import ENV


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


def test_a_failed_step_begins_no_other(env):
    ships = Ships(failing={"api-2"})
    summary = run(env, ships)
    results = by_instance(summary)
    assert results["api-2"]["failed"] and results["api-2"]["msg"] == "api-2: exited with code 1"
    assert results["web-1"]["skipped"] and results["web-1"]["msg"] == "not run: api failed"
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


def test_an_interrupt_right_after_a_step_is_announced_lets_all_of_it_run(env):
    # What was announced as starting runs, however soon the signal follows the line.
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = interrupt_when(orchestrator, "api: starting", lines)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships)[1:] in (["api-1", "api-2"], ["api-2", "api-1"])
    assert by_instance(summary)["web-1"]["msg"] == "not run: interrupted (SIGTERM)"
    assert [line for line in lines if line.startswith("web:")] == []


def test_an_interrupt_after_the_announcement_starts_no_more_than_run_at_once(env, monkeypatch):
    monkeypatch.setattr(runner, "MAX_THREADS", 1)
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = interrupt_when(orchestrator, "api: starting", lines)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships) == ["db-1", "api-1"]
    assert by_instance(summary)["api-2"]["msg"] == "not run: interrupted (SIGTERM)"


def test_an_interrupt_before_a_step_is_announced_runs_none_of_it(env, monkeypatch):
    # The signal lands while the step's containers are being listed (again, the first listing having
    # aged), before its line (the first listing, of the whole selection, is the check that no
    # container is in the way).
    monkeypatch.setattr(orchestrate, "LISTING_FRESH", -1)
    ships, lines = Ships(), []
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    orchestrator.progress = lines.append
    listed = FakeClient.containers
    seen = []

    def containers(client, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        if "api-1" in str(filters):
            seen.append(filters)
            if len(seen) > 1:
                orchestrator.interrupt("SIGINT")
        return listed(client, all, filters)

    monkeypatch.setattr(FakeClient, "containers", containers)
    summary = orchestrator.run("started", ["db-1", "api-1", "api-2", "web-1"])
    assert order(ships) == ["db-1"]
    assert [line for line in lines if line.startswith("api:")] == []
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


# ------------------------------------------------------------------ only what is ours


def entry(env, name, labels=None, current=False):
    """``name``'s container listing entry: this environment's labels unless ``labels`` says otherwise,
    and, when ``current``, the digest of its spec's settings (no drift)."""
    spec = env.instances[name]
    if labels is None:
        labels = {LABEL_ENVIRONMENT: env.name, LABEL_INSTANCE: name}
    if current:
        labels = dict(labels, **{LABEL_DIGEST: config_digest(desired_config(spec), spec)})
    return {
        "Id": "c" * 64,
        "Names": ["/" + name],
        "Image": spec["image"],
        "ImageID": IMAGE_ID,
        "State": "running",
        "Labels": labels,
        "Mounts": [],
    }


def listing(env, *names, **options):
    """{ship: the entries of ``names`` on it}."""
    found = {}
    for name in names:
        found.setdefault(env.instances[name]["ship"], []).append(entry(env, name, **options))
    return found


NO_LABELS = "no maestro.ng environment: it has none of its labels (made by hand, by MaestroNG or another tool)"


@pytest.mark.parametrize("command", ["started", "stopped", "killed", "restarted", "cleaned"])
@pytest.mark.parametrize(
    "labels, owner",
    [
        ({}, NO_LABELS),
        ({LABEL_ENVIRONMENT: "other", LABEL_INSTANCE: "web-1"}, "maestro.ng environment 'other' (instance 'web-1')"),
        ({LABEL_ENVIRONMENT: "sched", LABEL_INSTANCE: "api-2"}, "maestro.ng environment 'sched' (instance 'api-2')"),
    ],
)
def test_a_container_the_environment_did_not_make_refuses_the_run_before_any_change(env, command, labels, owner):
    ships = Ships(listing=listing(env, "web-1", labels=labels))
    summary = run(env, ships, command)
    results = by_instance(summary)
    assert ships.journal == [] and ships.options == []
    line = (
        "web-1 on ship2: the container named web-1 there was made by %s; nothing was changed (to take it over, "
        "with its volumes, run once with -e adopt=true (the maestro command: --adopt))" % owner
    )
    assert results["web-1"]["failed"] and results["web-1"]["msg"] == line
    assert summary["failed"] and summary["msg"] == line
    for name in ("db-1", "api-1", "api-2", "tool-1"):
        assert results[name]["skipped"] and results[name]["msg"] == "not run: refused before any change"
    assert summary["counts"] == {"total": 5, "changed": 0, "failed": 1, "skipped": 4}


def test_the_environments_own_containers_do_not_refuse_the_run(env):
    ships = Ships(listing=listing(env, "db-1", "web-1", current=True))
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    # Those the listing shows current need no manager at all; the others converge.
    assert set(order(ships)) == set(env.instances) - {"db-1", "web-1"}
    assert {name: r["changed"] for name, r in by_instance(summary).items() if name in ("db-1", "web-1")} == {
        "db-1": False,
        "web-1": False,
    }


def test_adopt_takes_a_container_the_environment_did_not_make_over(env):
    ships = Ships(listing=listing(env, "web-1", labels={}))
    summary = run(env, ships, adopt=True)
    assert not summary["failed"], summary.get("msg")
    results = by_instance(summary)
    # It is replaced as a drifted container is: its previous container kept aside until it is done.
    assert ships.real("web-1", "keep_previous") == [True] and ships.finished == ["web-1"]
    assert results["web-1"]["rollout"] == {"batch": 1, "of": 1, "size": 1}
    assert {options["adopt"] for dummy, options in ships.options} == {True}
    assert set(order(ships)) == set(env.instances)


def test_without_adopt_the_managers_are_told_not_to_adopt(env):
    ships = Ships()
    run(env, ships)
    assert ships.options and {options["adopt"] for dummy, options in ships.options} == {False}


def test_a_pull_is_not_refused_by_a_container_the_environment_did_not_make(env):
    ships = Ships(listing=listing(env, "web-1", labels={}))
    summary = run(env, ships, "pulled")
    assert not summary["failed"], summary.get("msg")
    assert sorted(set(ships.pulls)) == [("ship1", "busybox"), ("ship2", "busybox")]


def test_the_steps_reuse_the_runs_first_listing_while_it_is_fresh(env):
    ships = Ships()
    run(env, ships)
    assert sorted(ships.listings) == ["ship1", "ship2"]


def test_a_step_beginning_after_its_listing_aged_lists_the_ships_of_its_own_instances(env, monkeypatch):
    # Every listing aged at once: after the first (every ship), db and tool (beginning together) list
    # their ships in one go, then api (on both ships), then web (web-1 on ship2).
    monkeypatch.setattr(orchestrate, "LISTING_FRESH", -1)
    ships = Ships()
    run(env, ships)
    assert sorted(ships.listings) == ["ship1"] * 3 + ["ship2"] * 4


def test_the_manager_gets_the_runs_settings(env):
    ships = Ships()
    run(env, ships, names=["db-1"], start_grace=0)
    (name, options), *rest = ships.options
    assert not rest and name == "db-1"
    assert options["start_grace"] == 0 and options["defer_grace"] is False
    assert options["check_mode"] is False and options["adopt"] is False and options["keep_previous"] is False
    assert options["image_cache"] == {"busybox": {"Id": IMAGE_ID, "Config": {"Cmd": ["sh"]}}}
    assert options["registries"] == getattr(env, "registries", None)


def test_a_oneshot_runs_again_only_when_asked(load_env):
    env = load_env(
        "name: once\nships:\n  ship1: {ip: 10.250.0.201}\nservices:\n  migrate:\n    image: busybox\n"
        "    oneshot: true\n    instances:\n      migrate-1: {ship: ship1}\n"
    )
    ships = Ships()
    run(env, ships, wait_healthy=False)
    run(env, ships, rerun_oneshots=True)
    assert [(entry[0], entry[1]) for entry in ships.converges] == [("migrate-1", "started"), ("migrate-1", "restarted")]
    assert [options["wait_healthy"] for name, options in ships.options] == [False, True]


# ------------------------------------------------------------------ rollouts

# web: four instances on two ships; cache: two, in the same level (no dependencies).
ROLL_ENV = """
name: roll
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  web:
    image: WEB_IMAGE
    # UPDATE
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship2}
      web-3: {ship: ship1}
      web-4: {ship: ship2}
  cache:
    image: busybox
    instances:
      cache-1: {ship: ship1}
      cache-2: {ship: ship2}
"""
WEB = ["web-1", "web-2", "web-3", "web-4"]
NEW_WEB = "registry.example.com/web:2"


@pytest.fixture
def roll_env(load_env):
    """``roll_env(update=None, web_image="busybox")``: ROLL_ENV, web with that ``update:`` and image."""

    def load(update=None, web_image="busybox"):
        text = ROLL_ENV.replace("WEB_IMAGE", web_image)
        if update:
            text = text.replace("# UPDATE", "update: %s" % update)
        return load_env(text)

    return load


def drifted(env, names, **options):
    """Ships whose listing shows ``names`` as this environment's containers made from other settings
    (no digest label) and whose converge of them says why."""
    return Ships(listing=listing(env, *names), reasons={name: ["env.PORT changed"] for name in names}, **options)


def rolled(summary):
    return {r["instance"]: r["rollout"] for r in summary["instances"] if "rollout" in r}


def test_drifted_instances_of_a_service_are_replaced_one_at_a_time_beside_the_others(roll_env):
    env = roll_env()
    # The first of web's replacements and both caches wait for one another: they run at once.
    barrier = threading.Barrier(3)
    ships = drifted(env, WEB, barrier={"web-1": barrier, "cache-1": barrier, "cache-2": barrier})
    lines = []
    summary = run(env, ships, progress=lines.append)
    assert not summary["failed"], summary.get("msg")
    assert ships.most_of == {"web": 1, "cache": 2}
    assert rolled(summary) == {name: {"batch": batch, "of": 4, "size": 1} for batch, name in enumerate(WEB, 1)}
    assert [name for name, state, check_mode, refresh in ships.converges if not check_mode and name in WEB] == WEB
    assert sorted(ships.finished) == WEB
    assert all(ships.real(name, "keep_previous") == [True] for name in WEB)
    assert ships.real("cache-1", "keep_previous") == ships.real("cache-2", "keep_previous") == [False]
    assert "  web: replacing 4 instances, 1 at a time, rollback on failure" in lines


def test_instances_whose_listing_shows_no_drift_are_not_rolled_out(roll_env):
    env = roll_env()
    ships = Ships(listing=listing(env, *WEB, current=True))
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert rolled(summary) == {} and ships.finished == []
    assert all(ships.real(name, "keep_previous") == [] for name in WEB)  # current: no manager at all


def test_a_preview_leaves_out_the_candidates_that_did_not_drift(roll_env):
    # Listed without the digest label, but the converge finds nothing to change for web-2 and web-4.
    env = roll_env()
    ships = Ships(listing=listing(env, *WEB), reasons={"web-1": ["env.PORT changed"], "web-3": ["image changed"]})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert rolled(summary) == {"web-1": {"batch": 1, "of": 2, "size": 1}, "web-3": {"batch": 2, "of": 2, "size": 1}}
    assert sorted(ships.finished) == ["web-1", "web-3"]
    assert ships.real("web-2", "keep_previous") == [False]


def test_the_services_of_a_level_roll_out_side_by_side(roll_env):
    env = roll_env()
    barrier = threading.Barrier(2)  # the first replacement of each service: at once
    ships = drifted(env, WEB + ["cache-1", "cache-2"], barrier={"web-1": barrier, "cache-1": barrier})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert ships.most_of == {"web": 1, "cache": 1}
    assert rolled(summary)["cache-2"] == {"batch": 2, "of": 2, "size": 1}
    assert sorted(ships.finished) == sorted(WEB + ["cache-1", "cache-2"])


def test_applying_a_plan_that_says_none_leaves_a_drifted_candidate_alone(roll_env):
    env = roll_env()
    ships = drifted(env, WEB)
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager)
    summary = orchestrator.run("started", list(env.instances), planned={name: {"action": "none"} for name in WEB})
    assert not summary["failed"], summary.get("msg")
    assert [entry for entry in ships.converges if not entry[2]] == []
    assert ships.finished == [] and ships.reverted == []
    assert all(result["actions"] == ["planned: nothing to do"] for result in summary["instances"])


def test_the_services_update_sets_the_batch_size(roll_env):
    env = roll_env(update="{parallelism: 2}")
    first, second = threading.Barrier(2), threading.Barrier(2)
    ships = drifted(env, WEB, barrier={"web-1": first, "web-2": first, "web-3": second, "web-4": second})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert ships.most_of["web"] == 2
    assert rolled(summary) == {
        "web-1": {"batch": 1, "of": 2, "size": 2},
        "web-2": {"batch": 1, "of": 2, "size": 2},
        "web-3": {"batch": 2, "of": 2, "size": 2},
        "web-4": {"batch": 2, "of": 2, "size": 2},
    }


def test_the_runs_update_parallelism_overrides_the_services(roll_env):
    env = roll_env()
    everyone = threading.Barrier(4)
    ships = drifted(env, WEB, barrier=dict.fromkeys(WEB, everyone))
    summary = run(env, ships, update={"update_parallelism": "100%"})
    assert not summary["failed"], summary.get("msg")
    assert ships.most_of["web"] == 4
    assert rolled(summary) == {name: {"batch": 1, "of": 1, "size": 4} for name in WEB}
    # One batch for all: no preview needed to tell which ones truly drifted.
    assert [entry for entry in ships.converges if entry[2]] == []


def test_a_failed_replacement_rolls_the_service_back_and_the_others_go_on(roll_env):
    env = roll_env()
    ships = drifted(env, WEB, failing={"web-2"})
    summary = run(env, ships)
    results = by_instance(summary)
    why = "the rollout of web stopped: web-2 failed"
    assert ships.reverted == [("web-1", why)] and ships.finished == []
    assert results["web-1"]["failed"] and results["web-1"]["msg"] == (
        "web-1: %s; rolled back to its previous container bbbbbbbbbbbb" % why
    )
    assert results["web-2"]["msg"] == "web-2: exited with code 1"
    assert results["web-3"]["msg"] == results["web-4"]["msg"] == "not run: " + why
    assert not {"web-3", "web-4"} & {entry[0] for entry in ships.converges if not entry[2]}
    assert not results["cache-1"]["failed"] and not results["cache-2"]["failed"]
    assert summary["failed"]


def test_the_runs_failure_action_overrides_the_services(roll_env):
    env = roll_env()
    ships = drifted(env, WEB, failing={"web-2"})
    summary = run(env, ships, update={"update_failure_action": "pause"})
    results = by_instance(summary)
    assert ships.reverted == [] and ships.finished == ["web-1"]
    assert not results["web-1"]["failed"]
    assert results["web-3"]["msg"] == "not run: the rollout of web stopped: web-2 failed"


def test_check_mode_says_how_a_service_would_be_replaced(roll_env):
    env = roll_env()
    ships, lines = drifted(env, WEB), []
    summary = run(env, ships, check_mode=True, progress=lines.append)
    assert not summary["failed"], summary.get("msg")
    assert all(entry[2] for entry in ships.converges)
    assert "  web: would replace 4 instances, 1 at a time, rollback on failure" in lines
    assert rolled(summary)["web-4"] == {"batch": 4, "of": 4, "size": 1}


# ------------------------------------------------------------------ images first


def test_a_failed_pull_refuses_the_run_before_any_change(roll_env):
    env = roll_env(web_image=NEW_WEB)
    error = docker.errors.APIError("500 Server Error: manifest for %s not found" % NEW_WEB)
    ships = Ships(missing={NEW_WEB}, pull_errors={NEW_WEB: error})
    summary = run(env, ships)
    results = by_instance(summary)
    assert summary["failed"] and not order(ships)  # nothing anywhere, the caches neither
    assert sorted(ships.pulls) == [("ship1", NEW_WEB), ("ship2", NEW_WEB)]
    assert results["web-1"]["msg"] == (
        "%s:7: services.web.image: web-1 on ship ship1: image %s is not on the ship, and pulling it failed: "
        "500 Server Error: manifest for %s not found" % (env.file, NEW_WEB, NEW_WEB)
    )
    assert results["web-2"]["msg"].startswith(
        "%s:7: services.web.image: web-2 on ship ship2: image %s is not on the ship"
        % (
            env.file,
            NEW_WEB,
        )
    )
    for name in ("cache-1", "cache-2"):
        assert results[name]["skipped"] and results[name]["msg"] == "not run: refused before any change"


def test_with_keep_going_a_failed_pull_leaves_its_service_alone_and_the_others_go_on(roll_env):
    env = roll_env(web_image=NEW_WEB)
    error = docker.errors.APIError("500 Server Error: manifest for %s not found" % NEW_WEB)
    ships = Ships(missing={NEW_WEB}, pull_errors={NEW_WEB: error})
    summary = run(env, ships, keep_going=True)
    results = by_instance(summary)
    for name in WEB:
        assert (
            results[name]["failed"]
            and "services.web.image: %s on ship %s: image %s is not on the ship"
            % (name, env.instances[name]["ship"], NEW_WEB)
            in (results[name]["msg"])
        )
    assert not set(WEB) & set(order(ships))
    assert sorted(ships.pulls) == [("ship1", NEW_WEB), ("ship2", NEW_WEB)]
    assert not results["cache-1"]["failed"] and not results["cache-2"]["failed"]
    assert {"cache-1", "cache-2"} <= set(order(ships))
    assert summary["failed"]


def test_an_image_that_cannot_be_read_refuses_the_run(roll_env, monkeypatch):
    env = roll_env(web_image=NEW_WEB)
    ships = Ships()
    inspect = FakeClient.inspect_image

    def broken(client, image):
        if image == NEW_WEB:
            raise docker.errors.APIError("500 Server Error: layer store busy")
        return inspect(client, image)

    monkeypatch.setattr(FakeClient, "inspect_image", broken)
    results = by_instance(run(env, ships))
    assert results["web-1"]["msg"] == (
        "%s:7: services.web.image: web-1 on ship ship1: reading image %s failed: 500 Server Error: layer store busy"
        % (env.file, NEW_WEB)
    )
    assert not order(ships) and results["cache-1"]["msg"] == "not run: refused before any change"


def test_a_failed_refresh_of_a_present_image_says_so(roll_env):
    env = roll_env(web_image=NEW_WEB)
    ships = Ships(pull_errors={NEW_WEB: docker.errors.APIError("502 Bad Gateway")})
    summary = run(env, ships, refresh=True, keep_going=True)
    results = by_instance(summary)
    assert results["web-1"]["msg"].endswith(
        "services.web.image: web-1 on ship ship1: pulling image %s failed: 502 Bad Gateway" % NEW_WEB
    )
    assert not set(WEB) & set(order(ships))
    assert not results["cache-1"]["failed"]


def test_a_missing_image_is_pulled_once_per_ship_before_any_change(roll_env):
    env = roll_env(web_image=NEW_WEB)
    ships = Ships(missing={NEW_WEB})
    summary = run(env, ships)
    assert not summary["failed"], summary.get("msg")
    assert sorted(ships.pulls) == [("ship1", NEW_WEB), ("ship2", NEW_WEB)]
    results = by_instance(summary)
    assert all(results[name]["actions"][0] == "pulled image" for name in WEB)
    assert results["cache-1"]["actions"] == ["started"]


def test_refresh_pulls_each_image_once_per_ship_and_notes_it_on_each_instance(roll_env):
    env = roll_env()
    ships = Ships()
    summary = run(env, ships, refresh=True)
    assert not summary["failed"], summary.get("msg")
    assert sorted(ships.pulls) == [("ship1", "busybox"), ("ship2", "busybox")]
    for result in summary["instances"]:
        assert result["actions"] == ["pulled image", "started"] and result["changed"]
    # Pulled already: the managers do not pull again.
    assert {entry[3] for entry in ships.converges} == {False}


def test_refresh_in_check_mode_pulls_nothing_and_leaves_it_to_the_managers(roll_env):
    env = roll_env()
    ships = Ships()
    summary = run(env, ships, refresh=True, check_mode=True)
    assert ships.pulls == []
    assert {entry[3] for entry in ships.converges} == {True}
    assert all(result["actions"][0] != "pulled image" for result in summary["instances"])
