"""What the ships are asked before the first change of a start (run/preflight.py, and the
orchestrator's use of it): only the calls the file's settings need, one round per ship, and a
refusal that names the file's line, the key, the instance and the ship, with nothing changed."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.run import preflight
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.fake_ships import Ships

ENV = """
name: pre
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  db:
    image: busybox
    instances:
      db-1: {ship: ship1}
  web:
    image: busybox
    requires: [db]
    instances:
      web-1: {ship: ship1, log_driver: gelf}
      web-2: {ship: ship2, net: backend, cap_add: [NET_ADMIN, bpf]}
"""


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def run(env, ships, command="started", **options):
    orchestrator = Orchestrator(env, connect_ship=ships.connect, manager=ships.manager, **options)
    return {r["instance"]: r for r in orchestrator.run(command, list(env.instances))["instances"]}


def test_only_what_the_settings_need_is_asked_of_each_ship(env):
    assert preflight.questions(env, list(env.instances)) == {
        "ship1": {preflight.LOG_DRIVERS},
        "ship2": {preflight.NETWORKS, preflight.DAEMON_API},
    }
    assert preflight.questions(env, ["db-1"]) == {}


def test_what_a_ship_lacks_is_refused_at_its_line(env):
    facts = {
        "ship1": {preflight.LOG_DRIVERS: {"json-file"}},
        "ship2": {preflight.NETWORKS: {"bridge": "b" * 64}, preflight.DAEMON_API: "1.41"},
    }
    refused = preflight.refusals(env, list(env.instances), facts)
    assert refused == {
        "web-1": "%s:14: services.web.instances.web-1.log_driver: web-1 on ship ship1: "
        "the ship has no log driver 'gelf' (it has: json-file)" % env.file,
        "web-2": "%s:15: services.web.instances.web-2.net: web-2 on ship ship2: "
        "the ship has no network 'backend' (it has: bridge)" % env.file,
    }
    facts["ship2"][preflight.NETWORKS] = {"backend": "f" * 64}
    assert preflight.refusals(env, ["web-2"], facts) == {
        "web-2": "%s:15: services.web.instances.web-2.cap_add: web-2 on ship ship2: "
        "BPF needs Docker API 1.42 or newer; the ship's is 1.41" % env.file
    }
    facts["ship2"][preflight.DAEMON_API] = "1.45"
    assert preflight.refusals(env, ["web-2"], facts) == {}


def test_a_network_may_be_named_by_its_id_or_a_unique_prefix(load_env):
    env = load_env(ENV.replace("net: backend", "net: abc1").replace(", bpf", ""))
    one = {"ship2": {preflight.NETWORKS: {"bridge": "b" * 64, "backend": "abc1" + "0" * 60}}}
    two = {"ship2": {preflight.NETWORKS: {"x": "abc1" + "0" * 60, "y": "abc1" + "1" * 60}}}  # abc1 names neither
    assert preflight.refusals(env, ["web-2"], one) == {}
    assert "the ship has no network 'abc1' (it has: x, y)" in preflight.refusals(env, ["web-2"], two)["web-2"]


def test_an_image_without_a_command_is_refused_unless_the_file_gives_one(env):
    spec = env.instances["db-1"]
    assert preflight.image_refusal(spec, {"Config": {"Cmd": None, "Entrypoint": None}}) == (
        "the image busybox has no command (CMD or ENTRYPOINT), and the file gives none"
    )
    assert preflight.image_refusal(spec, {"Config": {"Entrypoint": ["/init"]}}) is None
    assert preflight.image_refusal(spec, None) is None  # not there: pulled, or "would pull" in check mode
    assert preflight.image_refusal(dict(spec, command="sh"), {"Config": {}}) is None


def test_a_refusal_before_the_first_change_changes_nothing_anywhere(env):
    ships = Ships(
        facts={"ship1": {"log_drivers": ["json-file"]}, "ship2": {"networks": ["bridge", "backend"], "api": "1.44"}}
    )
    results = run(env, ships)
    assert ships.journal == []  # db-1, on a ship with nothing wrong, did not start either
    assert (
        results["web-1"]["failed"]
        and "web-1 on ship ship1: the ship has no log driver 'gelf'" in results["web-1"]["msg"]
    )
    assert results["db-1"]["skipped"] and results["db-1"]["msg"] == "not run: refused before any change"
    assert results["web-2"]["msg"] == "not run: refused before any change"
    # One round per ship: only the questions its instances need, each asked once.
    assert sorted(ships.asked) == [("ship1", "info"), ("ship2", "networks"), ("ship2", "version")]


def test_check_mode_reports_the_refusal_too(env):
    ships = Ships(facts={"ship1": {"log_drivers": ["json-file"]}})
    results = run(env, ships, check_mode=True)
    assert results["web-1"]["failed"] and "no log driver 'gelf'" in results["web-1"]["msg"]
    assert ships.journal == []


def test_with_keep_going_the_refused_instance_and_what_waits_for_it_are_left_alone(load_env):
    # app waits for web; db and web do not wait for each other.
    env = load_env(
        ENV.replace("requires: [db]", "requires: []") + "  app:\n    image: busybox\n    requires: [web]\n"
        "    instances:\n      app-1: {ship: ship2}\n"
    )
    ships = Ships(facts={"ship1": {"log_drivers": ["json-file"]}, "ship2": {"networks": ["backend"], "api": "1.44"}})
    results = run(env, ships, keep_going=True)
    assert results["web-1"]["failed"] and "no log driver 'gelf'" in results["web-1"]["msg"]
    assert results["app-1"]["skipped"] and results["app-1"]["msg"] == "skipped: depends on web, and web-1 failed"
    assert sorted(entry[0] for entry in ships.journal) == ["db-1", "web-2"]  # web-1's ship lacks only its driver


def test_a_settled_environment_asks_nothing_more(load_env):
    env = load_env(ENV.replace(", log_driver: gelf", "").replace(", net: backend, cap_add: [NET_ADMIN, bpf]", ""))
    ships = Ships()
    run(env, ships)
    assert ships.asked == []


def test_a_ship_that_cannot_be_asked_refuses_the_run_unless_keep_going(env):
    ships = Ships(down={"ship2"}, facts={"ship1": {"log_drivers": ["gelf"]}})
    results = run(env, ships)
    assert results["web-2"]["failed"] and "ship ship2" in results["web-2"]["msg"]
    assert results["db-1"]["msg"] == "not run: refused before any change" and ships.journal == []
    ships = Ships(down={"ship2"}, facts={"ship1": {"log_drivers": ["gelf"]}})
    results = run(env, ships, keep_going=True)
    assert results["web-2"]["skipped"] and not results["web-1"]["failed"]
    assert sorted(entry[0] for entry in ships.journal) == ["db-1", "web-1"]


def test_pull_asks_nothing(env):
    ships = Ships()
    run(env, ships, command="pulled")
    assert ships.asked == []


def test_a_healthcheck_start_interval_needs_the_api_that_brought_it(load_env):
    env = load_env(
        ENV.replace("db-1: {ship: ship1}", "db-1: {ship: ship1, healthcheck: {test: x, start_interval: 1s}}")
    )
    assert preflight.questions(env, ["db-1"]) == {"ship1": {preflight.DAEMON_API}}
    assert preflight.refusals(env, ["db-1"], {"ship1": {preflight.DAEMON_API: "1.41"}}) == {
        "db-1": "%s:9: services.db.instances.db-1.healthcheck: db-1 on ship ship1: "
        "healthcheck.start_interval needs Docker API 1.44 or newer; the ship's is 1.41" % env.file
    }
    assert preflight.refusals(env, ["db-1"], {"ship1": {preflight.DAEMON_API: "1.44"}}) == {}


def test_a_run_refused_whole_pulls_nothing(load_env):
    env = load_env(ENV.replace("db-1: {ship: ship1}", "db-1: {ship: ship1, image: acme/db:2}"))
    ships = Ships(missing={"acme/db:2"}, facts={"ship1": {"log_drivers": ["json-file"]}})
    results = run(env, ships)
    assert "no log driver 'gelf'" in results["web-1"]["msg"] and ships.pulls == [] and ships.journal == []
    ships = Ships(missing={"acme/db:2"}, facts={"ship1": {"log_drivers": ["json-file"]}})
    run(env, ships, keep_going=True)  # the rest goes on: its image is pulled
    assert ships.pulls == [("ship1", "acme/db:2")]
