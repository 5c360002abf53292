"""The environment lock (run/lock.py): its file, the holder record, waiting, giving up and
cancelling, on real flock(2) locks in a temporary folder (a second lock in the same process
opens the file again, so it conflicts as another run's would)."""

import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.run import lock
from ansible_collections.maestro.ng.plugins.module_utils.run.lock import EnvironmentLock, LockTimeout

SINCE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
# The folder holding ansible_collections/: collections/ in a checkout, the tree ansible-test units makes otherwise.
COLLECTIONS = lock.__file__.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(lock, "POLL_SECONDS", 0.005)


def spawn(argv):
    """A real process running ``argv``, once its command line shows (Popen may return before
    the new program's /proc/PID/cmdline is there)."""
    proc = subprocess.Popen(argv)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open("/proc/%d/cmdline" % proc.pid, "rb") as handle:
            if handle.read().split(b"\0")[:-1] == [arg.encode() for arg in argv]:
                return proc
        time.sleep(0.001)
    proc.kill()
    proc.wait()
    raise AssertionError("%s did not start" % argv)


@pytest.fixture
def sleeper():
    """A real process (``sleep 30``) to name as a holder; killed after the test."""
    proc = spawn(["sleep", "30"])
    yield proc
    proc.kill()
    proc.wait()


def open_fds():
    return len(os.listdir("/proc/self/fd"))


# ---------------------------------------------------------------------- where the lock is
@pytest.mark.parametrize(
    "environment, name",
    [
        ("demo", "demo.lock"),
        ("a.b-c_D9", "a.b-c_D9.lock"),
        ("my env/../x", "my_env_.._x.lock"),
        ("été:1", "_t__1.lock"),
        ("", "_.lock"),
    ],
)
def test_lock_path_keeps_only_safe_characters(environment, name):
    assert lock.lock_path(environment, folder="/locks") == "/locks/" + name


def test_the_lock_folder_is_under_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert lock.lock_folder() == str(tmp_path / "cache" / "maestro.ng" / "locks")
    assert lock.lock_path("demo") == str(tmp_path / "cache" / "maestro.ng" / "locks" / "demo.lock")


@pytest.mark.parametrize("xdg", [None, ""])
def test_without_xdg_cache_home_the_lock_folder_is_under_the_home_cache(monkeypatch, tmp_path, xdg):
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert lock.lock_folder() == str(tmp_path / ".cache" / "maestro.ng" / "locks")


def test_the_default_timeout_is_the_orchestrate_options_default():
    assert lock.LOCK_TIMEOUT == 300.0 == float(ORCHESTRATE_SPEC["lock_timeout"]["default"])
    assert EnvironmentLock("demo", timeout=None, folder="/x").timeout == 300.0
    assert EnvironmentLock("demo", timeout="2.5", folder="/x").timeout == 2.5


def test_acquire_makes_a_private_folder_and_file_under_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    held = EnvironmentLock("demo env")
    assert held.path == str(tmp_path / "maestro.ng" / "locks" / "demo_env.lock")
    assert held.acquire() is True
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "maestro.ng" / "locks").st_mode) == 0o700
        assert stat.S_IMODE(os.stat(held.path).st_mode) == 0o600
    finally:
        held.release()


# ---------------------------------------------------------------------- the holder record
def test_the_holder_writes_its_pid_command_and_time_and_clears_them_on_release(tmp_path, sleeper):
    held = EnvironmentLock("demo", folder=str(tmp_path), owner=sleeper.pid)
    assert held.holder() == {}  # no file yet
    assert held.acquire() is True
    record = held.holder()
    assert sorted(record) == ["command", "pid", "since"]
    assert record["pid"] == sleeper.pid
    assert record["command"] == "sleep 30"
    assert SINCE.match(record["since"]), record["since"]
    with open(held.path, encoding="utf-8") as handle:
        assert json.load(handle) == record
    held.release()
    assert os.path.getsize(held.path) == 0
    assert held.holder() == {}
    held.release()  # a second release is a no-op


def test_the_owner_defaults_to_this_process(tmp_path):
    with EnvironmentLock("demo", folder=str(tmp_path)) as held:
        assert held.owner == os.getpid()
        assert held.holder()["pid"] == os.getpid()
        assert held.holder()["command"] == lock.command_of(os.getpid())
    assert held.holder() == {}


def test_the_context_manager_holds_the_lock_inside_the_block_only(tmp_path):
    with EnvironmentLock("demo", folder=str(tmp_path), timeout=0) as held, pytest.raises(LockTimeout):
        EnvironmentLock("demo", folder=str(tmp_path), timeout=0).acquire()
    assert held._fd is None
    other = EnvironmentLock("demo", folder=str(tmp_path), timeout=0)
    assert other.acquire() is True
    other.release()


def test_a_holder_file_that_is_not_json_reads_as_unknown(tmp_path):
    held = EnvironmentLock("demo", folder=str(tmp_path))
    with open(held.path, "w", encoding="utf-8") as handle:
        handle.write("{not json")
    assert held.holder() == {}


# ---------------------------------------------------------------------- waiting
def test_a_second_lock_waits_says_so_once_and_times_out_naming_the_holder(tmp_path, sleeper):
    first = EnvironmentLock("demo", folder=str(tmp_path), owner=sleeper.pid)
    first.acquire()
    try:
        since = first.holder()["since"]
        lines = []
        second = EnvironmentLock("demo", folder=str(tmp_path), timeout=0.05, on_wait=lines.append)
        fds = open_fds()
        started = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            second.acquire()
        assert 0.05 <= time.monotonic() - started < 0.5
        assert open_fds() == fds  # the waiter's file is closed again
    finally:
        first.release()
    holder = "pid %d (sleep 30) since %s" % (sleeper.pid, since)
    assert str(info.value) == (
        "environment demo is locked by another run on this controller: %s; gave up after 0.05s "
        "(-e lock_timeout=SECONDS; lock file %s)" % (holder, first.path)
    )
    assert lines == ["environment demo is locked by another run on this controller: %s; waiting up to 0.05s" % holder]
    assert second._fd is None


def test_a_zero_timeout_gives_up_at_once_without_saying_it_waits(tmp_path):
    first = EnvironmentLock("demo", folder=str(tmp_path))
    first.acquire()
    lines = []
    try:
        with pytest.raises(LockTimeout, match=r"gave up after 0s "):
            EnvironmentLock("demo", folder=str(tmp_path), timeout=0, on_wait=lines.append).acquire()
    finally:
        first.release()
    assert lines == []


def test_a_holder_that_wrote_nothing_is_another_run(tmp_path):
    import fcntl

    path = lock.lock_path("demo", str(tmp_path))
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(LockTimeout) as info:
            EnvironmentLock("demo", folder=str(tmp_path), timeout=0).acquire()
    finally:
        os.close(fd)
    assert str(info.value).startswith(
        "environment demo is locked by another run on this controller: another run; gave up after 0s"
    )


def test_other_environments_are_not_locked(tmp_path):
    with EnvironmentLock("demo", folder=str(tmp_path)):
        other = EnvironmentLock("prod", folder=str(tmp_path), timeout=0)
        assert other.acquire() is True
        other.release()


def test_cancelled_stops_the_wait_and_returns_false(tmp_path):
    first = EnvironmentLock("demo", folder=str(tmp_path))
    first.acquire()
    lines, asked = [], []

    def cancelled():
        asked.append(1)
        return "SIGINT"

    try:
        second = EnvironmentLock("demo", folder=str(tmp_path), timeout=5, on_wait=lines.append)
        fds = open_fds()
        assert second.acquire(cancelled=cancelled) is False
        assert open_fds() == fds
    finally:
        first.release()
    assert asked == [1]
    assert len(lines) == 1  # it said it waits before it was cancelled
    assert second._fd is None
    second.release()  # nothing held: a no-op


def test_the_waiter_gets_the_lock_once_the_holder_releases_it(tmp_path):
    first = EnvironmentLock("demo", folder=str(tmp_path))
    first.acquire()
    lines, asked = [], []

    def cancelled():
        asked.append(1)
        if len(asked) == 3:
            first.release()
        return False

    second = EnvironmentLock("demo", folder=str(tmp_path), timeout=5, on_wait=lines.append)
    assert second.acquire(cancelled=cancelled) is True
    try:
        assert len(asked) == 3 and len(lines) == 1
        assert second.holder()["pid"] == os.getpid()
    finally:
        second.release()


def test_the_kernel_frees_the_lock_of_a_killed_holder(tmp_path):
    script = tmp_path / "holder.py"
    script.write_text(
        "import sys, time\n"
        "sys.path.insert(0, %r)\n"
        "from ansible_collections.maestro.ng.plugins.module_utils.run.lock import EnvironmentLock\n"
        "EnvironmentLock('demo', folder=sys.argv[1]).acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(30)\n" % os.path.abspath(COLLECTIONS),
        encoding="utf-8",
    )
    folder = str(tmp_path / "locks")
    proc = subprocess.Popen([sys.executable, str(script), folder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "held\n"
        with pytest.raises(LockTimeout) as info:
            EnvironmentLock("demo", folder=folder, timeout=0).acquire()
        assert "another run on this controller: pid %d (holder.py %s) since " % (proc.pid, folder) in str(info.value)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    after = EnvironmentLock("demo", folder=folder, timeout=0)
    assert after.acquire() is True  # no stale lock after kill -9
    after.release()


# ---------------------------------------------------------------------- command_of
def test_command_of_names_a_program_by_its_base_name(sleeper):
    assert lock.command_of(sleeper.pid) == "sleep 30"


def test_command_of_leaves_out_the_interpreter_of_a_script(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    proc = spawn([sys.executable, str(script), "up", "web"])
    try:
        assert lock.command_of(proc.pid) == "tool.py up web"
    finally:
        proc.kill()
        proc.wait()


def test_command_of_shortens_a_long_command_line_to_200_characters(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    proc = spawn([sys.executable, str(script), "x" * 300])
    try:
        text = lock.command_of(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert text == "tool.py " + "x" * 189 + "..."
    assert len(text) == 200


def test_command_of_a_gone_process_is_a_question_mark():
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert lock.command_of(proc.pid) == "?"
