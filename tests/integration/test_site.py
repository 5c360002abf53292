"""playbooks/site.yml (maestro.ng.site) over the inventory plugin's ship hosts: the whole
environment, level by level across ships, with the maestro.ng.service role."""

import re

import pytest
from helpers.envs import (
    ALL,
    LEVELS,
    REPO,
    TRACEBACK,
    ansible_playbook,
    env_map,
    finished_at,
    inspect_all,
    ok,
    playbook,
    running,
    started_at,
    three_levels,
    write_env,
)
from helpers.lab import unavailable
from helpers.sshd import Sshd, missing_prerequisites

from ansible_collections.maestro.ng.plugins.module_utils.model import environment, ordering

SITE = REPO / "playbooks" / "site.yml"


class SiteRun:
    def __init__(self, rc, output):
        self.rc, self.output = rc, output
        self.recap = {
            host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
            for host, rest in re.findall(r"^(\S+)\s*:\s*(ok=.*)$", output, re.M)
        }

    def total(self, key):
        return sum(counts[key] for counts in self.recap.values())

    def __repr__(self):
        return "<site rc=%s>\n%s" % (self.rc, self.output)


def site(inventory, *args, environ=None, cwd=None):
    environ = dict({"PYTHONWARNINGS": "ignore"}, **(environ or {}))
    run = SiteRun(*ansible_playbook("-i", inventory, SITE, *args, cwd=cwd or REPO, environ=environ, timeout=300))
    assert TRACEBACK not in run.output, str(run)
    return run


def assert_dependencies_first(found, env_path):
    """Every container started after every container of the services it depends on (transitively)."""
    env = environment.load(str(env_path))
    requires = {name: svc["requires"] for name, svc in env.services.items()}
    for name, inst in env.instances.items():
        for dep in ordering.closure([inst["service"]], requires):
            for other in env.services[dep]["instances"]:
                assert started_at(found, name) > started_at(found, other), (name, other)


def settings(inspect):
    """What start.yml and site.yml must agree on: the whole config and host config."""
    config = dict(inspect["Config"], Env=env_map(inspect))
    return {"Config": config, "HostConfig": inspect["HostConfig"], "Image": inspect["Image"], "ship": inspect["_ship"]}


@pytest.fixture
def env_file(clean_lab, tmp_path):
    return write_env(tmp_path, three_levels(clean_lab, name="sitetest"))


def test_site_started_rerun_stopped_absent_same_as_start(clean_lab, env_file):
    lab = clean_lab
    run = site(env_file)
    assert run.rc == 0, str(run)
    assert sorted(run.recap) == sorted(s["name"] for s in lab.ships), str(run)
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True), str(run)
    assert_dependencies_first(found, env_file)
    made_by_site = {name: settings(found[name]) for name in ALL}

    run = site(env_file)
    assert run.rc == 0 and run.total("changed") == 0, str(run)
    assert {n: c["Id"] for n, c in inspect_all(lab).items()} == {n: found[n]["Id"] for n in ALL}
    # start.yml finds nothing to change in what site.yml made.
    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 0, str(run)

    run = site(env_file, "-e", "state=stopped")
    assert run.rc == 0, str(run)
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, False), str(run)
    # Dependents first: every level stopped before the one it depends on.
    for later, earlier in zip(LEVELS[1:], LEVELS):
        assert max(finished_at(found, n) for n in later) < min(finished_at(found, n) for n in earlier)

    run = site(env_file, "-e", "state=absent")
    assert run.rc == 0, str(run)
    assert inspect_all(lab) == {}

    # What start.yml makes of the same file is what site.yml made.
    ok(playbook("start", env_file))
    made_by_start = {name: settings(c) for name, c in inspect_all(lab).items()}
    assert made_by_start == made_by_site


def test_site_selection_limit_check_and_rolling(clean_lab, env_file):
    lab = clean_lab
    # --check --diff: what would be done, nothing done.
    run = site(env_file, "--check", "--diff")
    assert run.rc == 0 and run.total("changed") == 8, str(run)  # a task per host and level
    assert inspect_all(lab) == {}

    # -e services=kafka: with its dependencies; --limit: on those ships only.
    run = site(env_file, "-e", "services=kafka", "--limit", "%s,%s" % (lab.ships[0]["name"], lab.ships[1]["name"]))
    assert run.rc == 0, str(run)
    assert sorted(inspect_all(lab)) == ["kafka-1", "kafka-2", "zk-1", "zk-2"]
    run = site(env_file, "-e", "services=kafka", "-e", "ignore_dependencies=true")
    assert run.rc == 0, str(run)
    assert sorted(inspect_all(lab)) == ["kafka-1", "kafka-2", "kafka-3", "zk-1", "zk-2"]

    ok(playbook("start", env_file))
    before = inspect_all(lab)
    # Rolling restart: one instance at a time, in dependency order.
    run = site(env_file, "-e", "state=restarted", "-e", "rolling=true")
    assert run.rc == 0, str(run)
    after = inspect_all(lab)
    assert all(started_at(after, n) > started_at(before, n) for n in ALL)
    times = [started_at(after, n) for n in ALL]
    assert times == sorted(times), times

    # stop-like states take the dependents of the selection.
    run = site(env_file, "-e", "state=killed", "-e", "services=kafka")
    assert run.rc == 0, str(run)
    assert running(inspect_all(lab), ALL) == {n: n.startswith("zk") for n in ALL}


def test_an_unreachable_ship_stops_every_later_level(clean_lab, env_file):
    lab = clean_lab
    ship3 = lab.ships[2]["name"]
    lab.stop_ship(3)
    try:
        run = site(env_file)
        assert run.rc != 0, str(run)
        assert re.search(r"%s.*UNREACHABLE" % ship3, run.output) or run.recap[ship3]["unreachable"] == 1, str(run)
        assert run.recap[ship3]["unreachable"] == 1, str(run)
        # Level 1 converged on the other ships; nothing of level 2 started anywhere.
        assert sorted(inspect_all(lab, ships=[1, 2])) == ["zk-1", "zk-2"], str(run)

        # keep_going: the other ships go on with what does not depend on the lost ship.
        run = site(env_file, "-e", "keep_going=true")
        assert run.rc != 0, str(run)
        assert sorted(inspect_all(lab, ships=[1, 2])) == ["zk-1", "zk-2"], str(run)
    finally:
        lab.start_ship(3)
    run = site(env_file)
    assert run.rc == 0, str(run)
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True), str(run)


@pytest.fixture
def ssh_ships(lab):
    reason = missing_prerequisites()
    if reason:
        unavailable("SSH ships: " + reason)
    servers = [Sshd(ship).start() for ship in lab.ships]
    yield servers
    for server in servers:
        server.stop()


def test_site_over_ssh_runs_the_module_on_each_ship(clean_lab, ssh_ships, tmp_path):
    lab = clean_lab
    model = three_levels(lab, name="sitessh")
    model["ship_defaults"]["ssh_tunnel"] = {"user": "root", "key": str(ssh_ships[0].key)}
    write_env(tmp_path, model)
    for server in ssh_ships[1:]:  # one key for all: the test's authorized_keys
        (server.dir / "authorized_keys").write_text((ssh_ships[0].dir / "authorized_keys").read_text())
    sockets = ", ".join("'%s': 'unix://%s'" % (s["name"], s["socket"]) for s in lab.ships)
    (tmp_path / "maestro.yml").write_text(
        "plugin: maestro.ng.maestro\n"
        "environment: env.yaml\n"
        "connection: ssh\n"
        "compose:\n"
        '  maestro_docker_url: "{%s}[maestro_ship.name]"\n'
        "  ansible_python_interpreter: \"'%s'\"\n" % (sockets, REPO / ".venv" / "bin" / "python")
    )
    environ = {
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=5 -o UserKnownHostsFile=/dev/null",
    }
    run = site(tmp_path / "maestro.yml", "-vvv", environ=environ, cwd=tmp_path)
    assert run.rc == 0, str(run)
    for ship in lab.ships:
        # The container module ran on the ship, reached over SSH.
        assert re.search(r"<%s> ESTABLISH SSH CONNECTION FOR USER: root" % re.escape(ship["ip"]), run.output)
        assert run.recap[ship["name"]]["unreachable"] == 0
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True), str(run)
    assert_dependencies_first(found, tmp_path / "env.yaml")
    run = site(tmp_path / "maestro.yml", environ=environ, cwd=tmp_path)
    assert run.rc == 0 and run.total("changed") == 0, str(run)


def test_a_ships_instances_of_a_level_converge_in_one_task_at_once(clean_lab, tmp_path):
    """Four instances of one service on ship 1 and one on ship 2: on each ship one maestro.ng.instances
    task, a line per instance, the four started at once (each waits 2 s in its running check, so one
    after another they would start at least 2 s apart); then a change replaces them one at a time."""
    lab = clean_lab
    check = [{"type": "exec", "command": "sleep 2"}]
    where = {"app-1": 1, "app-2": 1, "app-3": 1, "app-4": 1, "app-5": 2}
    model = {
        "name": "together",
        "ships": {s["name"]: {"ip": s["ip"], "docker_port": int(s["url"].rsplit(":", 1)[1])} for s in lab.ships},
        "services": {
            "app": {
                "image": "maestro-test/busybox:latest",
                "env": {"V": "1"},
                "instances": {
                    name: {
                        "ship": lab.ships[k - 1]["name"],
                        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
                        "stop_timeout": 1,
                        "lifecycle": {"running": check},
                    }
                    for name, k in where.items()
                },
            }
        },
    }
    path = write_env(tmp_path, model)
    run = site(path, "-e", "keep_going=false")
    assert run.rc == 0 and run.total("changed") == 2, run  # a task per ship: its instances in one result
    lines = re.findall(r"^changed: \[(\S+)\] => \(item=(\S+)\)$", run.output, re.M)
    assert sorted(lines) == sorted((lab.ships[k - 1]["name"], name) for name, k in where.items()), run
    found = inspect_all(lab)
    starts = sorted(started_at(found, name) for name in ("app-1", "app-2", "app-3", "app-4"))
    assert (starts[-1] - starts[0]).total_seconds() < 2, starts

    model["services"]["app"]["env"]["V"] = "2"
    write_env(tmp_path, model)
    run = site(path)
    assert run.rc == 0 and run.total("changed") == 2, run
    found = inspect_all(lab)
    assert {env_map(found[name])["V"] for name in where} == {"2"}
    # Replaced one at a time on ship 1: each new container started after the previous one was ready.
    starts = sorted(started_at(found, name) for name in ("app-1", "app-2", "app-3", "app-4"))
    assert all((b - a).total_seconds() >= 2 for a, b in zip(starts, starts[1:])), starts
    again = site(path)
    assert again.rc == 0 and again.total("changed") == 0, again
