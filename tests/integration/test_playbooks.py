"""The command playbooks (playbooks/*.yml) run as a user runs them, against the lab.

Every test writes an environment file for the lab's three ships (tests/integration/helpers/envs.py),
runs `ansible-playbook playbooks/<command>.yml -e env=FILE ...` in a subprocess and checks
what really happened through each ship's Docker API and the network: container ids,
StartedAt/FinishedAt order, Env, exit codes, and connections between containers.

The standard environment (envs.three_levels) has three dependency levels over three ships:

    level 1  zookeeper  zk-1@ship1  zk-2@ship2  zk-3@ship3        client 2181 -> host 32181
    level 2  kafka      kafka-1@1   kafka-2@2   kafka-3@3         broker 9092 -> host 39092
    level 3  web                    web-1@2     web-2@3           http   8080 -> host 38080
"""

import functools
import json
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.envs import (
    ALL,
    LEVELS,
    env_map,
    exec_in,
    expected_env,
    expected_ships,
    failed,
    finished_at,
    ids,
    inspect_all,
    playbook,
    running,
    ship_number,
    started_at,
    three_levels,
    write_env,
)
from helpers.envs import (
    ok as _ok,
)

# These runs must not even warn.
ok = functools.partial(_ok, warnings=False)

ZK = LEVELS[0]
KAFKA = LEVELS[1]
WEB = LEVELS[2]


def assert_level_order(found, when, levels, after=True):
    """Each level's times are all after (or all before) every time of the level before."""
    for earlier, later in zip(levels, levels[1:]):
        first = {n: when(found, n) for n in earlier}
        second = {n: when(found, n) for n in later}
        assert None not in first.values() and None not in second.values(), (first, second)
        if after:
            assert min(second.values()) > max(first.values()), (earlier, first, later, second)
        else:
            assert max(second.values()) < min(first.values()), (earlier, first, later, second)


def http_get(ip, port, path="/etc/hostname", timeout=3):
    with socket.create_connection((ip, port), timeout=timeout) as conn:
        conn.sendall(("GET %s HTTP/1.0\r\n\r\n" % path).encode())
        chunks = []
        while True:
            data = conn.recv(4096)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def model(clean_lab):
    return three_levels(clean_lab)


@pytest.fixture
def env_file(tmp_path, model):
    return write_env(tmp_path, model)


@pytest.fixture
def up(clean_lab, env_file):
    """The whole standard environment started; the inspects of its containers."""
    ok(playbook("start", env_file))
    found = inspect_all(clean_lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    return found


# ------------------------------------------------------------------------------ 1. start
def test_start_brings_three_levels_up_in_order_with_maestro_variables(clean_lab, env_file):
    lab = clean_lab
    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 1 and run.recap["failed"] == 0
    assert [re.sub(r" in [\d.]+s$", "", line) for line in run.progress()] == [
        "zookeeper: 3/3 started",
        "kafka: 3/3 started",
        "web: 2/2 started",
    ]

    found = inspect_all(lab)
    assert sorted(found) == sorted(ALL)
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    assert {n: found[n]["_ship"] for n in ALL} == expected_ships(env_file)
    assert found["web-1"]["_ship"] == lab.ships[1]["name"] and found["web-2"]["_ship"] == lab.ships[2]["name"]
    for name in ALL:
        assert found[name]["Config"]["Hostname"] == name

    # Every level-n container started after every level n-1 container.
    assert_level_order(found, started_at, LEVELS)

    # Each container's environment is exactly what the model computes.
    expected = expected_env(env_file)
    for name in ALL:
        assert env_map(found[name]) == expected[name], name

    # ... and uses MaestroNG's literal names and values.
    ip = [s["ip"] for s in lab.ships]
    kafka1 = env_map(found["kafka-1"])
    assert kafka1["MAESTRO_ENVIRONMENT_NAME"] == "pbtest"
    assert kafka1["SERVICE_NAME"] == "kafka" and kafka1["CONTAINER_NAME"] == "kafka-1"
    assert kafka1["CONTAINER_HOST_ADDRESS"] == ip[0]
    assert kafka1["DOCKER_IMAGE"] == "maestro-test/busybox:latest" and kafka1["DOCKER_TAG"] == "latest"
    assert kafka1["KAFKA_HEAP_OPTS"] == "-Xms256m -Xmx256m"
    assert kafka1["ZOOKEEPER_INSTANCES"] == "zk-1,zk-2,zk-3"
    assert kafka1["KAFKA_INSTANCES"] == "kafka-1,kafka-2,kafka-3"
    assert [kafka1["ZOOKEEPER_ZK_%d_HOST" % k] for k in (1, 2, 3)] == ip
    assert kafka1["ZOOKEEPER_ZK_1_CLIENT_PORT"] == "32181"  # the host port
    assert kafka1["KAFKA_KAFKA_2_BROKER_PORT"] == "39092"
    assert kafka1["KAFKA_KAFKA_2_BROKER_INTERNAL_PORT"] == "9092"  # own service only
    assert not [k for k in kafka1 if k.startswith("ZOOKEEPER_") and k.endswith("_INTERNAL_PORT")]
    assert not [k for k in kafka1 if k.startswith("WEB_")]  # not a dependency
    web1 = env_map(found["web-1"])
    assert web1["ZOOKEEPER_ZK_3_CLIENT_PORT"] == "32181"  # requires is transitive
    assert web1["KAFKA_KAFKA_3_HOST"] == ip[2]
    assert web1["WEB_WEB_2_HTTP_INTERNAL_PORT"] == "8080" and web1["WEB_INSTANCES"] == "web-1,web-2"
    assert not [k for k in web1 if k.endswith("_INTERNAL_PORT") and not k.startswith("WEB_")]
    zk3 = env_map(found["zk-3"])
    assert not [k for k in zk3 if k.startswith(("KAFKA_", "WEB_"))]

    # kafka-1 on ship1 reaches zk-2 on ship2 with nothing but its injected variables.
    code, out = exec_in(
        lab,
        1,
        "kafka-1",
        [
            "sh",
            "-c",
            'printf "GET /etc/hostname HTTP/1.0\\r\\n\\r\\n" | nc -w 2 $ZOOKEEPER_ZK_2_HOST $ZOOKEEPER_ZK_2_CLIENT_PORT',
        ],
    )
    assert code == 0 and "200 OK" in out and out.rstrip().endswith("zk-2"), out
    # web-1 on ship2 reaches kafka-3 on ship3 the same way.
    code, out = exec_in(
        lab, 2, "web-1", ["sh", "-c", 'echo hi | nc -w 2 $KAFKA_KAFKA_3_HOST $KAFKA_KAFKA_3_BROKER_PORT; echo "rc=$?"']
    )
    assert "rc=0" in out and "400 Bad Request" in out, out
    # And from outside, each web instance answers on its ship's published port.
    for k, name in ((2, "web-1"), (3, "web-2")):
        answer = http_get(lab.ships[k - 1]["ip"], 38080)
        assert "200 OK" in answer and answer.rstrip().endswith(name), answer


# ------------------------------------------------------------------ 2. idempotence, drift
def test_second_start_changes_nothing_and_an_env_edit_recreates_only_that_service(
    clean_lab, tmp_path, model, env_file, up
):
    lab = clean_lab
    before = ids(up)

    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 0, str(run)
    assert all("nothing to do" in line for line in run.progress()), str(run)
    assert ids(inspect_all(lab)) == before

    model["services"]["kafka"]["env"]["KAFKA_HEAP_OPTS"] = ["-Xms256m", "-Xmx512m"]
    write_env(tmp_path, model)

    # --check: reports the change, touches nothing.
    run = ok(playbook("start", env_file, "--check"))
    assert run.recap["changed"] == 1, str(run)
    assert "kafka: 3/3 would be" in run.output, str(run)
    line = "  kafka-2 on %s: would be recreated: env.KAFKA_HEAP_OPTS changed" % up["kafka-2"]["_ship"]
    assert line in run.output, str(run)
    found = inspect_all(lab)
    assert ids(found) == before
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    assert env_map(found["kafka-1"])["KAFKA_HEAP_OPTS"] == "-Xms256m -Xmx256m"

    # --check --diff: shows what would change, per instance, still touching nothing.
    run = ok(playbook("start", env_file, "--check", "--diff"))
    for name in KAFKA:
        assert "--- before: %s" % name in run.output and "+++ after: %s" % name in run.output, str(run)
    assert re.search(r"^-\s*env\.KAFKA_HEAP_OPTS: -Xms256m -Xmx256m$", run.output, re.M), str(run)
    assert re.search(r"^\+\s*env\.KAFKA_HEAP_OPTS: -Xms256m -Xmx512m$", run.output, re.M), str(run)
    assert "before: zk-" not in run.output and "before: web-" not in run.output, str(run)
    assert ids(inspect_all(lab)) == before

    # The real run recreates exactly kafka's containers, and says why.
    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 1, str(run)
    for name in KAFKA:
        assert "  %s on %s: recreated: env.KAFKA_HEAP_OPTS changed" % (name, up[name]["_ship"]) in run.output, str(run)
    assert "zk-1 on" not in run.output and "web-1 on" not in run.output, str(run)
    result = run.result()
    for item in result["instances"]:
        assert item["changed"] == (item["service"] == "kafka"), item
        if item["service"] == "kafka":
            assert item["reasons"] == ["env.KAFKA_HEAP_OPTS changed"], item
    found = inspect_all(lab)
    after = ids(found)
    for name in ZK + WEB:
        assert after[name] == before[name], name
    for name in KAFKA:
        assert after[name] != before[name], name
        assert env_map(found[name])["KAFKA_HEAP_OPTS"] == "-Xms256m -Xmx512m"
    assert running(found, ALL) == dict.fromkeys(ALL, True)

    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 0, str(run)
    assert ids(inspect_all(lab)) == after


# ---------------------------------------------------------------- 3. stop, kill, clean, restart
def test_stop_and_kill_go_dependents_first(clean_lab, env_file, up):
    lab = clean_lab
    before = ids(up)
    run = ok(playbook("stop", env_file, "--check"))
    assert run.recap["changed"] == 1 and "web: 2/2 would be stopped" in run.output, str(run)
    found = inspect_all(lab)
    assert ids(found) == before and running(found, ALL) == dict.fromkeys(ALL, True)

    run = ok(playbook("stop", env_file))
    assert run.recap["changed"] == 1
    assert [line.split(":")[0] for line in run.progress()] == [
        "web",
        "kafka",
        "zookeeper",
    ], str(run)
    found = inspect_all(lab)
    assert ids(found) == before
    assert running(found, ALL) == dict.fromkeys(ALL, False)
    assert {n: found[n]["State"]["ExitCode"] for n in ALL} == dict.fromkeys(ALL, 0)  # TERM, trapped
    assert_level_order(found, finished_at, LEVELS, after=False)

    # stopping what is stopped does nothing
    assert ok(playbook("stop", env_file)).recap["changed"] == 0

    ok(playbook("start", env_file))
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    assert_level_order(found, started_at, LEVELS)

    run = ok(playbook("kill", env_file))
    assert [line.split(":")[0] for line in run.progress()] == [
        "web",
        "kafka",
        "zookeeper",
    ], str(run)
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, False)
    assert {n: found[n]["State"]["ExitCode"] for n in ALL} == dict.fromkeys(ALL, 137)  # SIGKILL
    assert_level_order(found, finished_at, LEVELS, after=False)


def test_clean_removes_only_stopped_containers(clean_lab, env_file, up):
    lab = clean_lab
    before = ids(up)
    run = ok(playbook("stop", env_file, services="kafka", ignore_dependencies=True))
    found = inspect_all(lab)
    assert running(found, ALL) == {n: n not in KAFKA for n in ALL}, str(run)

    run = ok(playbook("clean", env_file))
    assert run.recap["changed"] == 1 and run.recap["failed"] == 0, str(run)
    found = inspect_all(lab)
    assert sorted(found) == sorted(ZK + WEB)
    assert running(found, ZK + WEB) == dict.fromkeys(ZK + WEB, True)
    assert ids(found) == {n: before[n] for n in ZK + WEB}

    # nothing stopped left: a second clean does nothing
    assert ok(playbook("clean", env_file)).recap["changed"] == 0
    assert sorted(inspect_all(lab)) == sorted(ZK + WEB)


def test_restart_goes_dependencies_first_and_only_if_changed(clean_lab, tmp_path, model, env_file, up):
    lab = clean_lab
    before = ids(up)
    first_start = {n: started_at(up, n) for n in ALL}

    run = ok(playbook("restart", env_file))
    assert [line.split(":")[0] for line in run.progress()] == [
        "zookeeper",
        "kafka",
        "web",
    ], str(run)
    found = inspect_all(lab)
    assert ids(found) == before  # restarted, not recreated
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    assert all(started_at(found, n) > first_start[n] for n in ALL)
    assert_level_order(found, started_at, LEVELS)
    # each container was stopped before its dependents came back
    assert max(finished_at(found, n) for n in ZK) < min(started_at(found, n) for n in KAFKA)

    restarted = {n: started_at(found, n) for n in ALL}
    run = ok(playbook("restart", env_file, only_if_changed=True))
    assert run.recap["changed"] == 0, str(run)
    found = inspect_all(lab)
    assert {n: started_at(found, n) for n in ALL} == restarted
    assert ids(found) == before

    model["services"]["web"]["env"]["FEATURE"] = "on"
    write_env(tmp_path, model)
    run = ok(playbook("restart", env_file, only_if_changed=True))
    assert run.recap["changed"] == 1, str(run)
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    for name in ZK + KAFKA:
        assert started_at(found, name) == restarted[name] and found[name]["Id"] == before[name], name
    for name in WEB:
        assert found[name]["Id"] != before[name] and env_map(found[name])["FEATURE"] == "on", name


class StatePoller:
    """Samples, as fast as it can in a background thread, which of ``names`` run."""

    def __init__(self, lab, found, names):
        self.names = names
        self.clients = {n: lab.client(ship_number(lab, found[n]["_ship"]), timeout=10) for n in names}
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        with ThreadPoolExecutor(len(self.names)) as pool:
            while not self._stop.is_set():
                self.samples.append(
                    dict(pool.map(lambda n: (n, self.clients[n].inspect_container(n)["State"]["Running"]), self.names))
                )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def most_down(self):
        return max(sum(not up_ for up_ in sample.values()) for sample in self.samples)

    def seen_down(self):
        return {name for sample in self.samples for name, up_ in sample.items() if not up_}


def test_rolling_restart_keeps_all_but_one_instance_up(clean_lab, env_file, up):
    lab = clean_lab
    before = {n: started_at(up, n) for n in KAFKA}
    with StatePoller(lab, up, KAFKA) as poller:
        run = ok(playbook("restart", env_file, services="kafka", ignore_dependencies=True, rolling=True))
    assert run.recap["changed"] == 1, str(run)
    assert len(poller.samples) >= 20, len(poller.samples)
    assert poller.most_down() <= 1, [s for s in poller.samples if sum(not v for v in s.values()) > 1]
    assert poller.seen_down(), "the poller never saw an instance restarting (%d samples)" % len(poller.samples)

    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True)
    assert all(started_at(found, n) > before[n] for n in KAFKA)
    # Docker's own record agrees: the down windows [FinishedAt, StartedAt] do not overlap.
    windows = sorted((finished_at(found, n), started_at(found, n)) for n in KAFKA)
    for (dummy, back), (gone, dummy) in zip(windows, windows[1:]):
        assert back < gone, windows
    # the other services were not touched
    assert all(started_at(found, n) == started_at(up, n) for n in ZK + WEB)

    # A plain (parallel) restart does take several instances down at once: by Docker's
    # record their down windows overlap (a poller can miss windows this short under load).
    ok(playbook("restart", env_file, services="kafka", ignore_dependencies=True))
    found = inspect_all(lab)
    windows = sorted((finished_at(found, n), started_at(found, n)) for n in KAFKA)
    assert any(gone < back for (dummy, back), (gone, dummy) in zip(windows, windows[1:])), windows


# ------------------------------------------------------------------------------ 4. selection
def test_selection_of_services_ships_and_dependencies(clean_lab, env_file):
    lab = clean_lab

    ok(playbook("start", env_file, services="kafka"))
    found = inspect_all(lab)
    assert sorted(found) == sorted(ZK + KAFKA)
    assert running(found, ZK + KAFKA) == dict.fromkeys(ZK + KAFKA, True)

    lab.reset()
    ok(playbook("start", env_file, services=["kafka"], ignore_dependencies=True))
    assert sorted(inspect_all(lab)) == sorted(KAFKA)

    lab.reset()
    ok(playbook("start", env_file, services="zookeeper,web", ignore_dependencies=True))
    assert sorted(inspect_all(lab)) == sorted(ZK + WEB)

    lab.reset()
    ship2 = lab.ships[1]["name"]
    ok(playbook("start", env_file, ships=[ship2]))
    found = inspect_all(lab)
    assert sorted(found) == ["kafka-2", "web-1", "zk-2"]
    assert {found[n]["_ship"] for n in found} == {ship2}

    lab.reset()
    ok(playbook("start", env_file))
    ok(playbook("stop", env_file, services="zookeeper", ignore_dependencies=True))
    assert running(inspect_all(lab), ALL) == {n: n not in ZK for n in ALL}
    ok(playbook("start", env_file))
    run = ok(playbook("stop", env_file, services="zookeeper"))  # its dependents go first
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, False), str(run)
    assert_level_order(found, finished_at, LEVELS, after=False)


# ------------------------------------------------------------------------------ 5. failures
def test_a_dead_ship_refuses_the_start_before_any_change(clean_lab, env_file):
    lab = clean_lab
    ship3 = lab.ships[2]
    lab.stop_ship(3)
    try:
        run = failed(playbook("start", env_file))
        assert run.recap["failed"] == 1, str(run)
        unreachable = r"ship %s \(%s\) is unreachable" % (ship3["name"], re.escape(ship3["url"]))
        assert len(re.findall(unreachable, run.result()["msg"])) == 1, str(run)  # once, not once per instance
        assert "start: 8 instances on 3 ships: 5 skipped, 3 failed" in run.output, str(run)
        assert "zookeeper:" not in run.output, str(run)
        assert inspect_all(lab, ships=[1, 2]) == {}  # nothing anywhere, the live ships' neither

        # status marks the dead ship's instances, and still lists every instance
        run = ok(playbook("status", env_file))
        rows = {n: line for line in run.output.splitlines() for n in ALL if re.search(r"\s%s\s" % n, line)}
        assert sorted(rows) == sorted(ALL), str(run)
        for name in ALL:
            on_ship3 = name in ("zk-3", "kafka-3", "web-2")
            assert ("host down" in rows[name]) == on_ship3, rows[name]
        assert "absent" in rows["kafka-1"] and "absent" in rows["zk-1"], rows
    finally:
        lab.start_ship(3)

    run = ok(playbook("start", env_file))
    found = inspect_all(lab)
    assert running(found, ALL) == dict.fromkeys(ALL, True), str(run)
    assert_level_order(found, started_at, LEVELS)


@pytest.mark.parametrize("how", ["-e start_grace", "running sleep check"])
def test_a_container_that_exits_at_once_fails_start_with_its_log(clean_lab, tmp_path, how):
    # Asked for: by default (as in MaestroNG) start does not wait to see its containers keep running.
    lab = clean_lab
    model = three_levels(lab, name="boom")
    model["services"] = {
        "boom": {
            "image": "maestro-test/busybox:latest",
            "instances": {
                "boom-1": {
                    "ship": lab.ships[0]["name"],
                    "stop_timeout": 1,
                    "command": "sh -c 'echo boom-marker; exit 3'",
                }
            },
        },
        "after": {
            "image": "maestro-test/busybox:latest",
            "requires": ["boom"],
            "instances": {"after-1": {"ship": lab.ships[1]["name"]}},
        },
    }
    extra = {"start_grace": 0.5} if how == "-e start_grace" else {}
    if how == "running sleep check":
        model["services"]["boom"]["lifecycle"] = {"running": [{"type": "sleep", "wait": 0.5}]}
    path = write_env(tmp_path, model, "boom.yaml")
    run = failed(playbook("start", path, **extra))
    assert "boom-marker" in run.output and "exit code 3" in run.output, str(run)
    found = inspect_all(lab)
    assert sorted(found) == ["boom-1"]
    assert found["boom-1"]["State"]["ExitCode"] == 3


def test_a_bad_environment_file_gives_one_line_and_no_traceback(clean_lab, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "ships:\n"
        "  ship1: {ip: %s}\n"
        "services:\n"
        "  web:\n"
        "    image: maestro-test/busybox:latest\n"
        "    env:\n"
        "      MODE: a\n"
        "      MODE: b\n"
        "    instances:\n"
        "      web-1: {ship: ship1}\n" % clean_lab.ships[0]["ip"]
    )
    line = "%s:9: services.web.env.MODE: duplicate key 'MODE' (first defined on line 8)" % bad
    for command in ("start", "status"):
        run = failed(playbook(command, bad))
        assert line in run.output, str(run)
        assert "Traceback" not in run.output and 'File "' not in run.output, str(run)

    wrong_ship = tmp_path / "wrong_ship.yaml"
    wrong_ship.write_text(bad.read_text().replace("      MODE: b\n", "").replace("{ship: ship1}", "{ship: nowhere}"))
    run = failed(playbook("start", wrong_ship))
    assert re.search(
        r"%s:10: services\.web\.instances\.web-1\.ship: [^\n]*nowhere" % re.escape(str(wrong_ship)), run.output
    ), str(run)
    assert "Traceback" not in run.output, str(run)
    assert inspect_all(clean_lab) == {}


# --------------------------------------------------------------------- 6. status, deps, logs
def test_status_logs_and_stdin(clean_lab, env_file, up):
    # logs: the last lines of one instance
    run = ok(playbook("logs", env_file, instance="zk-2", tail=2))
    assert "zk-2 line 4" in run.output and "zk-2 line 5" in run.output, str(run)
    assert "zk-2 line 3" not in run.output, str(run)
    assert run.result("Read the log")["lines"] == ["zk-2 line 4", "zk-2 line 5"]
    run = failed(playbook("logs", env_file, instance="nope"))
    assert "unknown instance 'nope'" in run.output, str(run)

    # 7. env=- reads the environment file from stdin
    run = ok(playbook("status", "-", stdin=env_file.read_text()))
    rows = run.result("Ask every ship")["instances"]
    assert {r["instance"]: r["container_id"] for r in rows} == {n: up[n]["Id"][:12] for n in ALL}
    assert run.result("Ask every ship")["environment"] == "pbtest"
    for name in ALL:
        assert re.search(r"\s%s\s" % name, run.output), str(run)

    # status: a table with every instance, whatever its state
    ok(playbook("stop", env_file, services="web", ignore_dependencies=True))
    run = ok(playbook("status", env_file))
    table = [
        line.strip()
        for line in run.output.splitlines()
        if line.strip().startswith(("SERVICE", "zookeeper", "kafka", "web"))
    ]
    assert table[0].split() == ["SERVICE", "INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT"], str(run)
    rows = {line.split()[1]: line for line in table[1:]}
    assert sorted(rows) == sorted(ALL), str(run)
    for name in ZK + KAFKA:
        assert re.search(r"\bUp\b", rows[name]), rows[name]
    for name in WEB:
        assert "Exited (0)" in rows[name], rows[name]
    assert "client:32181->2181/tcp" in rows["zk-1"] and up["zk-1"]["Image"][7:19] in rows["zk-1"]

    # status -e output=json: stdout is the JSON of the rows (tests/integration/test_output.py: and only that)
    run = ok(playbook("status", env_file, output="json", split_output=True))
    shown = json.loads(run.stdout)
    assert shown == run.result("Ask every ship")["instances"]
    by_name = {row["instance"]: row for row in shown}
    assert sorted(by_name) == sorted(ALL)
    for name in ALL:
        row = by_name[name]
        assert row["container_id"] == up[name]["Id"][:12]
        assert row["ship"] == up[name]["_ship"]
        assert row["state"] == ("exited" if name in WEB else "running"), row


def test_deps_prints_the_tree_and_writes_dot(clean_lab, env_file, tmp_path):
    dot = tmp_path / "deps.dot"
    run = ok(playbook("deps", env_file, dot=str(dot)))
    assert "web [2 instances]" in run.output and "└─ kafka [3 instances]" in run.output, str(run)
    result = run.result("Work out the order")
    assert [level["services"] for level in result["levels"]] == [["zookeeper"], ["kafka"], ["web"]]
    text = dot.read_text()
    assert text.startswith('digraph "pbtest"')
    assert '"kafka" -> "zookeeper";' in text and '"web" -> "kafka";' in text
    assert '"web" -> "zookeeper"' not in text
    assert inspect_all(clean_lab) == {}  # nothing was started
