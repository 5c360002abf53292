"""What a user reads: the maestro.ng.maestro stdout callback (the repository's ansible.cfg
selects it) through the real playbooks, on a terminal (a pseudo-terminal), piped, and
with -e output=json.

The environment: db-1 on ship 1 <- app-1 on ship 2, app-2 on ship 3 (two levels).
"""

import json
import os
import pty
import re
import subprocess

import pytest
import yaml
from helpers.envs import (
    ANSIBLE_PLAYBOOK,
    IMAGE,
    REPO,
    inspect_all,
    ok,
    playbook,
    running,
    serving,
    ship_name,
    ships_of,
    write_env,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Ansible's default colours: ok, changed, failed, unreachable, warning (drift).
GREEN, YELLOW, RED, BRIGHT_RED, BRIGHT_PURPLE = "0;32", "0;33", "0;31", "1;31", "1;35"
COLOUR_ON = {"ANSIBLE_NOCOLOR": "0", "ANSIBLE_FORCE_COLOR": "1"}
COLOUR_AUTO = {"ANSIBLE_NOCOLOR": "0", "ANSIBLE_FORCE_COLOR": "0", "NO_COLOR": ""}
NAMES = ["db-1", "app-1", "app-2"]


def two_levels(lab, heap="-Xmx256m"):
    return {
        "__maestro": {"schema": 2},
        "name": "outtest",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "db": {
                "image": IMAGE,
                "env": {"PORT": 5432, "HEAP": heap},
                "instances": {"db-1": serving(ship_name(lab, 1), "sql", 5432, 35432, stop_timeout=1)},
            },
            "app": {
                "image": IMAGE,
                "requires": ["db"],
                "env": {"PORT": 8000},
                "instances": {
                    "app-1": serving(ship_name(lab, 2), "http", 8000, 38000, stop_timeout=1),
                    "app-2": serving(ship_name(lab, 3), "http", 8000, 38000, stop_timeout=1),
                },
            },
        },
    }


def painted(text, code):
    return "\x1b[%sm%s\x1b[0m" % (code, text)


def table_of(output):
    """The status table's lines (header first), as printed."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if ANSI.sub("", line).startswith("SERVICE "))
    return lines[start : start + 1 + len(NAMES)]


def assert_aligned(table):
    """Every column starts where its header starts, once colour codes are taken out."""
    plain = [ANSI.sub("", line) for line in table]
    starts = [plain[0].index(word) for word in ("INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT")]
    for line in plain[1:]:
        assert all(line[i - 2 : i] == "  " and line[i] != " " for i in starts), "\n".join(plain)


def on_a_terminal(env_file, **environ):
    """ansible-playbook playbooks/status.yml with stdout and stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    run_env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        TERM="xterm",
        PYTHONWARNINGS="ignore",
        ANSIBLE_NOCOLOR="0",
        ANSIBLE_FORCE_COLOR="0",
    )
    run_env.pop("NO_COLOR", None)
    run_env.update(environ)
    proc = subprocess.Popen(
        [str(ANSIBLE_PLAYBOOK), "playbooks/status.yml", "-e", "env=%s" % env_file],
        cwd=str(REPO),
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def mixed(lab, tmp_path_factory):
    """db-1 running (drifted from the file), app-1 stopped, app-2 absent; the file. The
    tests only look (or fail before touching a container)."""
    lab.reset()
    tmp_path = tmp_path_factory.mktemp("output")
    first = write_env(tmp_path, two_levels(lab), "first.yaml")
    run = ok(playbook("start", first))
    # one line as each service begins, one as it is done, then the summary line
    lines = [line for line in run.output.splitlines() if re.match(r"([\w.-]+: (starting|\d+/\d+)|start:)", line)]
    assert [re.sub(r" in [\d.]+s$", " in Ts", line) for line in lines] == [
        "db: starting 1 instance on %s ..." % ship_name(lab, 1),
        "db: 1/1 started in Ts",
        "app: starting 2 instances on %s, %s ..." % (ship_name(lab, 2), ship_name(lab, 3)),
        "app: 2/2 started in Ts",
        "start: 3 instances on 3 ships: 3 created in Ts",
    ], str(run)
    assert running(inspect_all(lab), NAMES) == dict.fromkeys(NAMES, True)

    run = ok(playbook("stop", first, services="app-1", ignore_dependencies=True))
    assert re.search(r"^stop: 1 instance on 1 ship: 1 stopped in [\d.]+s$", run.output, re.M), str(run)
    lab.client(3).remove_container("app-2", force=True)
    return write_env(tmp_path, two_levels(lab, heap="-Xmx512m"))


def test_status_on_a_terminal_piped_and_as_json(mixed):
    # a terminal: coloured by state, drift highlighted, still aligned
    shown = on_a_terminal(mixed)
    table = table_of(shown)
    assert_aligned(table)
    rows = {ANSI.sub("", line).split()[1]: line for line in table[1:]}
    assert re.search(re.escape("\x1b[%sm" % GREEN) + r"Up [^\x1b]*\x1b\[0m", rows["db-1"]), repr(rows["db-1"])
    assert painted("env.HEAP changed", BRIGHT_PURPLE) in rows["db-1"], repr(rows["db-1"])
    assert re.search(re.escape("\x1b[%sm" % YELLOW) + r"Exited \(0\)[^\x1b]*\x1b\[0m", rows["app-1"]), repr(rows)
    assert painted("ok", GREEN) in rows["app-1"], repr(rows["app-1"])
    assert painted("absent", RED) in rows["app-2"], repr(rows["app-2"])
    summary = "status: 3 instances on 3 ships: 1 running, 1 stopped, 1 absent; 1 drifted in "
    assert "\x1b[%sm%s" % (YELLOW, summary) in shown, repr(shown)
    assert "TASK [Show the status]" not in shown and "skipping" not in shown, shown  # the fallback is hidden

    # NO_COLOR (and ANSIBLE_NOCOLOR) turn colour off on a terminal too
    assert "\x1b[" not in on_a_terminal(mixed, NO_COLOR="1")

    # piped: no colour, same table
    run = ok(playbook("status", mixed, environ=COLOUR_AUTO))
    assert "\x1b[" not in run.output, repr(run.output)
    assert_aligned(table_of(run.output))
    assert [line.split()[:4] for line in table_of(run.output)] == [ANSI.sub("", line).split()[:4] for line in table]
    assert re.search("^" + re.escape(summary) + r"[\d.]+s$", run.output, re.M), str(run)

    # ANSIBLE_FORCE_COLOR: colour even piped
    run = ok(playbook("status", mixed, environ=COLOUR_ON))
    assert painted("absent", RED) in run.output and painted("env.HEAP changed", BRIGHT_PURPLE) in run.output, str(run)

    # -e output=json: stdout is one JSON document, the rows; the rest went to stderr
    run = ok(playbook("status", mixed, output="json", split_output=True, environ=COLOUR_ON))
    rows = json.loads(run.stdout)
    assert rows == run.result("Ask every ship")["instances"]
    by_name = {r["instance"]: r for r in rows}
    assert {n: by_name[n]["state"] for n in NAMES} == {"db-1": "running", "app-1": "exited", "app-2": "absent"}
    assert by_name["db-1"]["drift"] == ["env.HEAP changed"] and by_name["app-2"]["drift"] is None
    assert "PLAY RECAP" in run.stderr and "SERVICE" not in run.output, str(run)


def test_json_of_a_command_and_a_failure_shown_as_its_message(mixed, tmp_path):
    run = ok(playbook("start", mixed, "--check", output="json", split_output=True))
    doc = json.loads(run.stdout)
    assert doc["command"] == "started" and doc["changed"] is True and doc["failed"] is False, doc
    assert doc["counts"] == {"total": 3, "changed": 3, "failed": 0, "skipped": 0}, doc
    assert re.fullmatch(
        r"start \(check mode\): 3 instances on 3 ships: 1 would be created, 1 would be recreated, "
        r"1 would be started in [\d.]+s",
        doc["summary"],
    ), doc
    assert doc["summary"] in run.stderr and "app: checking 2 instances" in run.stderr, str(run)

    # a failed command: stdout still is its JSON, stderr says why in one message
    path = write_env(tmp_path, two_levels_with_a_lost_ship(mixed), "lost.yaml")
    run = playbook("start", path, output="json", split_output=True)
    assert run.rc != 0 and "Traceback" not in run.output, str(run)
    doc = json.loads(run.stdout)
    assert doc["failed"] is True and doc["counts"]["failed"] == 1, doc
    assert "ship nowhere (tcp://127.0.0.1:1) is unreachable" in run.stderr, str(run)
    # only the message, not every instance's result (-v shows them)
    assert "fatal: [localhost]: FAILED! =>" in run.stderr, str(run)
    assert "actions:" not in run.stderr and "instances:" not in run.stderr, str(run)
    assert re.search(r"^start: 3 instances on 3 ships: 2 skipped, 1 failed in [\d.]+s$", run.stderr, re.M), str(run)


def two_levels_with_a_lost_ship(path):
    """The mixed file with db-1 moved to a ship that refuses connections."""
    model = yaml.safe_load(path.read_text())
    model["ships"]["nowhere"] = {"ip": "127.0.0.1", "docker_port": 1}
    model["services"]["db"]["instances"]["db-1"]["ship"] = "nowhere"
    return model


def test_other_callbacks_still_show_the_table(mixed):
    run = ok(playbook("status", mixed, environ={"ANSIBLE_STDOUT_CALLBACK": "default"}))
    assert "TASK [Show the status]" in run.output, str(run)
    msg = run.result("Show the status")["msg"]
    assert msg.splitlines()[0].split() == ["SERVICE", "INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT"]
    assert msg.splitlines()[-1].startswith("status: 3 instances on 3 ships: 1 running, 1 stopped, 1 absent")
