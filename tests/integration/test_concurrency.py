"""Two runs at once, and runs interrupted half-way, on the lab's ships.

* Two controllers (two cache folders, so two locks) starting, or starting and stopping,
  the same environment at once: the engine's level-triggered convergence makes both end
  well, with one container per instance and no raw Docker conflict text.
* One controller: a second changing run waits for the environment's lock (and says who
  holds it), or gives up after lock_timeout; read-only commands do not wait.
* SIGINT and SIGTERM of ansible-playbook mid-start: the run stops between containers, says
  what it did, leaves no process behind (checked by pid: every descendant of the killed
  ansible-playbook, its SSH tunnel included) and no temporary file; the next start converges.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.envs import (
    ALL,
    ANSIBLE_PLAYBOOK,
    IMAGE,
    REPO,
    SERVE,
    TRACEBACK,
    failed,
    inspect_all,
    ok,
    playbook,
    ships_of,
    three_levels,
    write_env,
)

sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.run.lock import EnvironmentLock  # noqa: E402

# What Docker answers when two clients change one container at once; never for a user to read.
RAW_CONFLICT = (
    "Conflict.",
    "is already in use by container",
    "No such container",
    "You have to remove",
    "already in progress",
    "You cannot remove a running container",
)


def no_raw_conflict(run):
    for text in RAW_CONFLICT:
        assert text not in run.output, (text, str(run))


def controller(tmp_path, name):
    """The variables of a run from controller ``name``: a cache folder (so a lock) of its own."""
    return {"XDG_CACHE_HOME": str(tmp_path / name)}


def one_running_container_each(lab, names=ALL):
    found = inspect_all(lab)
    assert sorted(found) == sorted(names), sorted(found)
    assert all(found[n]["State"]["Running"] for n in names), {n: found[n]["State"]["Status"] for n in names}
    return found


def wide(lab, name, per_level=15):
    """Two levels of ``per_level`` instances spread over the ships: wide enough for two runs
    started together to meet on the same containers (most runs see a few such races)."""

    def service(service, requires):
        return {
            "image": IMAGE,
            "requires": requires,
            "env": {"PORT": 8080},
            "instances": {
                "%s-%d" % (service, k): {
                    "ship": lab.ships[k % len(lab.ships)]["name"],
                    "stop_timeout": 1,
                    "command": ["sh", "-c", SERVE],
                }
                for k in range(1, per_level + 1)
            },
        }

    return {
        "__maestro": {"schema": 2},
        "name": name,
        "ship_defaults": {"timeout": 20},
        "ships": ships_of(lab),
        "services": {"front": service("front", ["back"]), "back": service("back", [])},
    }


WIDE = ["%s-%d" % (service, k) for service in ("back", "front") for k in range(1, 16)]


def test_two_starts_at_once_from_two_controllers(clean_lab, tmp_path):
    path = write_env(tmp_path, wide(clean_lab, name="race"))
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda who: playbook("start", env=path, environ=controller(tmp_path, who)), "ab"))
    for run in runs:
        ok(run)
        no_raw_conflict(run)
        for line in re.findall(r"^  \S+ on \S+: another run.*$", run.output, re.M):
            assert line.endswith("; converged from what is there (now running)"), line
    one_running_container_each(clean_lab, WIDE)
    again = ok(playbook("start", env=path, environ=controller(tmp_path, "a")))
    assert again.recap["changed"] == 0, str(again)


def test_start_racing_stop(clean_lab, tmp_path):
    path = write_env(tmp_path, slow_levels(clean_lab, name="racestop"))
    # One controller: the stop waits for the start's lock, names it, then stops everything.
    start = Background("start", path, controller(tmp_path, "a"))
    start.wait_for(r"^a: starting")
    stop = ok(playbook("stop", env=path, environ=controller(tmp_path, "a")))
    ok(start.finish())
    assert re.search(
        r"^environment racestop is locked by another run on this controller: pid %d "
        r"\(ansible-playbook playbooks/start\.yml -e env=\S+\) since \S+; waiting up to 300s$" % start.proc.pid,
        stop.output,
        re.M,
    ), str(stop)
    assert stop.output.count("is locked by another run") == 1, str(stop)
    found = inspect_all(clean_lab)
    assert sorted(found) == SLOW and not any(c["State"]["Running"] for c in found.values())

    # Two controllers: the stop begins while the start creates the first level. Both end
    # without a raw conflict, what each did is consistent, and the next start converges.
    clean_lab.reset()
    path = write_env(tmp_path, wide(clean_lab, name="racestop"))
    start = Background("start", path, controller(tmp_path, "a"))
    start.wait_for(r"^back: starting")
    stop = playbook("stop", env=path, environ=controller(tmp_path, "b"))
    start = start.finish()
    for run in (start, stop):
        assert TRACEBACK not in run.output, str(run)
        no_raw_conflict(run)
    assert stop.rc == 0, str(stop)
    if start.rc != 0:  # it met the stop: its containers were stopped right after their start
        assert "another run stopped it meanwhile" in start.output, str(start)
    ok(playbook("start", env=path))
    one_running_container_each(clean_lab, WIDE)


def test_second_run_waits_for_the_lock_or_gives_up(clean_lab, tmp_path):
    path = write_env(tmp_path, three_levels(clean_lab, name="locked"))
    environ = controller(tmp_path, "a")
    held = EnvironmentLock("locked", folder=str(tmp_path / "a" / "maestro.ng" / "locks"))
    held.acquire()
    try:
        late = failed(
            playbook("start", env=path, environ=environ, lock_timeout=1),
            "environment locked is locked by another run on this controller: pid %d" % os.getpid(),
            "gave up after 1s",
        )
        message = late.result("Start, each service once its dependencies are up")["msg"]
        assert "\n" not in message, message
        assert inspect_all(clean_lab) == {}
        # Reading does not wait: status and --check run while the lock is held.
        assert ok(playbook("status", env=path, environ=environ)).seconds < 30
        ok(playbook("start", path, "--check", environ=environ))
        threading.Timer(3, held.release).start()
        waited = ok(playbook("start", env=path, environ=environ, lock_timeout=60))
    finally:
        held.release()
    assert waited.output.count("is locked by another run on this controller: pid %d" % os.getpid()) == 1, str(waited)
    assert "waiting up to 60s" in waited.output, str(waited)
    one_running_container_each(clean_lab)


# --------------------------------------------------------------------------- interrupted runs
class Background:
    """ansible-playbook started in the background; its output read as it comes."""

    def __init__(self, command, env, environ=None):
        run_env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            PYTHONWARNINGS="ignore",
            **(environ or {}),
        )
        self.proc = subprocess.Popen(
            [str(ANSIBLE_PLAYBOOK), "playbooks/%s.yml" % command, "-e", "env=%s" % env],
            cwd=str(REPO),
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self):
        return "".join(self.lines)

    def wait_for(self, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output, re.M):
            assert time.monotonic() < deadline and self.proc.poll() is None, (pattern, self.output)
            time.sleep(0.05)

    def finish(self, timeout=120):
        """Wait until the process ended and its output closed (every writer of it gone)."""
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout)
        assert not self.reader.is_alive(), "something still holds the output open:\n" + self.output
        return Finished(rc, self.output)


class Finished:
    def __init__(self, rc, output):
        self.rc, self.output = rc, output

    def __repr__(self):
        return "<rc=%s>\n%s" % (self.rc, self.output)


def descendants(pid):
    """Pids of every live descendant of ``pid`` (from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    """True while ``pid`` runs (a zombie has ended)."""
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def slow_levels(lab, sshd=None, name="interrupted"):
    """4 levels of 3 instances, one per ship (with ``sshd``, the second ship through an SSH
    tunnel); each instance keeps its level busy for 2 s (a sleep running check)."""
    ships = ships_of(lab)
    if sshd:
        ships[lab.ships[1]["name"]] = {
            "ip": sshd.ip,
            "socket_path": sshd.ship["socket"],
            "ssh_tunnel": {"user": "root", "key": str(sshd.key)},
        }

    def level(service, port, requires):
        return {
            "image": IMAGE,
            "requires": requires,
            "env": {"PORT": port},
            "lifecycle": {"running": [{"type": "sleep", "wait": 2}]},
            "instances": {
                "%s-%d" % (service, k): {"ship": ship, "command": ["sh", "-c", SERVE], "stop_timeout": 1}
                for k, ship in enumerate(sorted(ships), 1)
            },
        }

    return {
        "__maestro": {"schema": 2},
        "name": name,
        "ship_defaults": {"timeout": 10},
        "ships": ships,
        "services": {
            "a": level("a", 1001, []),
            "b": level("b", 1002, ["a"]),
            "c": level("c", 1003, ["b"]),
            "d": level("d", 1004, ["c"]),
        },
    }


SLOW = ["%s-%d" % (service, k) for service in "abcd" for k in (1, 2, 3)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_start_stops_cleanly_and_the_next_start_converges(clean_lab, sshd, tmp_path, signum):
    path = write_env(tmp_path, slow_levels(clean_lab, sshd))
    temp = tmp_path / "tmp"
    temp.mkdir()
    environ = dict(
        controller(tmp_path, "a"),
        TMPDIR=str(temp),
        ANSIBLE_LOCAL_TEMP=str(temp / "ansible"),
        MAESTRO_SSH_ARGS="-o UserKnownHostsFile=%s" % (tmp_path / "known_hosts"),
    )
    start = Background("start", path, environ)
    start.wait_for(r"^b: starting")
    family = descendants(start.proc.pid)
    tunnels = [pid for pid in family if Path("/proc/%d/comm" % pid).read_text().strip() == "ssh"]
    assert tunnels, "the tunnelled ship's ssh -L should run now"
    start.proc.send_signal(signum)
    done = start.finish()
    name = signal.Signals(signum).name
    assert done.rc != 0, str(done)
    assert "%s: finishing the containers in progress, starting no new ones" % name in done.output, str(done)
    assert re.search(
        r"^interrupted \(%s\), done so far: start: 12 instances on 3 ships: 6 created, 6 skipped "
        r"in [0-9.]+s; not run: c-1, c-2, c-3, d-1, d-2, d-3; the same command again converges the rest$" % name,
        done.output,
        re.M,
    ), str(done)
    assert TRACEBACK not in done.output, str(done)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in family if alive(pid)] == [], str(done)
    leftovers = [str(p.relative_to(temp)) for p in temp.rglob("*") if not p.is_dir()]
    assert leftovers == [], leftovers
    found = inspect_all(clean_lab)
    assert sorted(found) == ["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"]
    assert all(c["State"]["Running"] for c in found.values())

    again = ok(playbook("start", env=path, environ=environ))
    assert [line.split(" in ")[0] for line in again.progress()] == [
        "a: 3/3 ok, nothing to do",
        "b: 3/3 ok, nothing to do",
        "c: 3/3 started",
        "d: 3/3 started",
    ], str(again)
    one_running_container_each(clean_lab, SLOW)
