"""module_utils/docker/lifecycle.py: the tcp, http, exec, rexec and sleep checks, the state guard
and run_checks, with real sockets and an HTTP server on 127.0.0.1 and fake Docker clients."""

import errno
import http.server
import os
import socket
import threading

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import lifecycle
from ansible_collections.maestro.ng.plugins.module_utils.docker.client import APIError, DockerException, NotFound

REFUSED = "[Errno %d] %s" % (errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
CLOSED_AT_ONCE = "connection closed right after accept (nothing listening behind the port?)"
LOCAL = {"name": "web-1", "ship_ip": "127.0.0.1", "env": {}}


class FakeClock:
    """lifecycle's ``time``: sleep only moves the clock on."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient:
    """The APIClient calls the checks make: exec_* for rexec, inspect_container for the guard."""

    def __init__(self, exit_codes=(0,), output=b"", running=True, exit_code=0, error=None, inspect_error=None):
        self.exit_codes = list(exit_codes)
        self.output = output
        self.state = {"Running": running, "ExitCode": exit_code}
        self.error = error
        self.inspect_error = inspect_error
        self.calls = []

    def exec_create(self, container, cmd, environment=None):
        self.calls.append(("exec_create", container, cmd, environment))
        if self.error:
            raise self.error
        return {"Id": "exec-%d" % len(self.calls)}

    def exec_start(self, exec_id):
        self.calls.append(("exec_start", exec_id))
        return self.output

    def exec_inspect(self, exec_id):
        self.calls.append(("exec_inspect", exec_id))
        code = self.exit_codes.pop(0) if len(self.exit_codes) > 1 else self.exit_codes[0]
        return {"ExitCode": code}

    def inspect_container(self, container):
        self.calls.append(("inspect_container", container))
        if self.inspect_error:
            raise self.inspect_error
        return {"State": dict(self.state)}


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(lifecycle, "time", fake)
    return fake


@pytest.fixture
def closed_port():
    """A port bound but not listening: a connect to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def listener():
    """A listening port that never closes what it accepts (the kernel accepts for it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closing_listener():
    """A port that accepts each connection and closes it at once (docker-proxy with nothing behind it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.05)
    stop = threading.Event()
    accepted = []

    def serve():
        while not stop.is_set():
            try:
                conn, dummy = sock.accept()
            except socket.timeout:
                continue
            accepted.append(conn.getpeername())
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], accepted
    stop.set()
    thread.join()
    sock.close()


ROUTES = {
    "/": (200, b"welcome"),
    "/health": (200, b"status: ok"),
    "/broken": (500, b"database down"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen.append((self.command, self.path))
        status, body = ROUTES.get(self.path, (404, b"no such page"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    """(port, [(method, path) of each request]) of an HTTP server on 127.0.0.1."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], server.seen
    server.shutdown()
    server.server_close()
    thread.join()


def check(check_, spec=None, client=None, expect_running=None):
    return lifecycle.run_check(check_, LOCAL if spec is None else spec, client, "c0ffee", expect_running)


# tcp


def test_tcp_passes_on_a_listener_that_keeps_the_connection_open(listener, clock):
    assert check({"type": "tcp", "port": listener, "max_wait": 5}) is None
    assert clock.sleeps == []


def test_tcp_port_comes_as_a_string_too(listener, clock):
    assert check({"type": "tcp", "port": str(listener), "max_wait": 0}) is None


def test_tcp_with_nothing_listening_gives_up_after_max_wait(closed_port, clock):
    message = check({"type": "tcp", "port": closed_port, "max_wait": 3})
    assert message == "tcp check on 127.0.0.1:%d failed: %s (gave up after 3 s)" % (closed_port, REFUSED)
    # Probes at 0, 1, 2 and 3 s: a fourth second would pass max_wait.
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_tcp_max_wait_zero_probes_once_on_the_real_clock(closed_port):
    message = check({"type": "tcp", "port": closed_port, "max_wait": 0})
    assert message == "tcp check on 127.0.0.1:%d failed: %s (gave up after 0 s)" % (closed_port, REFUSED)


def test_tcp_waits_180_s_by_default(closed_port, clock):
    message = check({"type": "tcp", "port": closed_port})
    assert message == "tcp check on 127.0.0.1:%d failed: %s (gave up after 180 s)" % (closed_port, REFUSED)
    assert len(clock.sleeps) == 180


def test_tcp_listener_that_closes_at_once_does_not_count(closing_listener, clock):
    port, accepted = closing_listener
    message = check({"type": "tcp", "port": port, "max_wait": 1})
    assert message == "tcp check on 127.0.0.1:%d failed: %s (gave up after 1 s)" % (port, CLOSED_AT_ONCE)
    assert clock.sleeps == [1.0]


def test_tcp_check_host_wins_over_the_ship_ip(listener, clock):
    spec = dict(LOCAL, ship_ip="192.0.2.1")
    assert check({"type": "tcp", "host": "127.0.0.1", "port": listener, "max_wait": 0}, spec) is None


# http


def test_http_200_passes_with_default_scheme_path_and_method(web, clock):
    port, seen = web
    assert check({"type": "http", "port": port, "max_wait": 0}) is None
    assert seen == [("GET", "/")]


def test_http_method_and_path_are_used(web, clock):
    port, seen = web
    assert check({"type": "http", "port": port, "path": "/health", "method": "POST", "max_wait": 0}) is None
    assert seen == [("POST", "/health")]


def test_http_500_fails(web, clock):
    port, seen = web
    message = check({"type": "http", "port": port, "path": "/broken", "max_wait": 2})
    assert message == "http check on http://127.0.0.1:%d/broken failed: HTTP 500 (gave up after 2 s)" % port
    assert seen == [("GET", "/broken")] * 3


def test_http_404_fails_with_its_status(web, clock):
    port, dummy = web
    message = check({"type": "http", "port": port, "path": "/nowhere", "max_wait": 0})
    assert message == "http check on http://127.0.0.1:%d/nowhere failed: HTTP 404 (gave up after 0 s)" % port


def test_http_match_regex_that_matches_passes(web, clock):
    port, dummy = web
    assert (
        check({"type": "http", "port": port, "path": "/health", "match_regex": r"status: o+k", "max_wait": 0}) is None
    )


def test_http_match_regex_that_does_not_match_fails(web, clock):
    port, dummy = web
    message = check({"type": "http", "port": port, "path": "/health", "match_regex": "ready", "max_wait": 0})
    assert message == (
        "http check on http://127.0.0.1:%d/health failed: response (HTTP 200) does not match 'ready' (gave up after 0 s)"
        % port
    )


def test_http_match_regex_decides_over_the_status(web, clock):
    # Like MaestroNG: with a regex, the body is what counts, also for an error status.
    port, dummy = web
    assert check({"type": "http", "port": port, "path": "/broken", "match_regex": "down", "max_wait": 0}) is None
    message = check({"type": "http", "port": port, "path": "/broken", "match_regex": "up", "max_wait": 0})
    assert message == (
        "http check on http://127.0.0.1:%d/broken failed: response (HTTP 500) does not match 'up' (gave up after 0 s)"
        % port
    )


def test_http_with_nothing_listening_names_the_reason(closed_port, clock):
    message = check({"type": "http", "port": closed_port, "path": "/x", "max_wait": 0})
    assert message == "http check on http://127.0.0.1:%d/x failed: %s (gave up after 0 s)" % (closed_port, REFUSED)


def test_http_check_host_and_scheme_make_the_url(closed_port, clock):
    spec = dict(LOCAL, ship_ip="192.0.2.1")
    message = check({"type": "http", "host": "127.0.0.1", "scheme": "http", "port": closed_port, "max_wait": 0}, spec)
    assert message == "http check on http://127.0.0.1:%d/ failed: %s (gave up after 0 s)" % (closed_port, REFUSED)


# exec


def test_exec_command_that_succeeds_passes(clock):
    assert check({"type": "exec", "command": "true", "attempts": 1}) is None


def test_exec_command_that_fails_shows_exit_code_and_last_line(clock):
    command = "echo first; echo last words >&2; exit 3"
    message = check({"type": "exec", "command": command, "attempts": 2})
    assert message == "exec check %r failed: exit code 3: last words (2 attempts)" % command
    assert clock.sleeps == [1.0]


def test_exec_without_output_shows_only_the_exit_code(clock):
    assert (
        check({"type": "exec", "command": "exit 5", "attempts": 1})
        == "exec check 'exit 5' failed: exit code 5 (1 attempts)"
    )


def test_exec_gets_the_container_env_over_the_controllers(monkeypatch, clock):
    monkeypatch.setenv("GREETING", "from the controller")
    monkeypatch.setenv("MAESTRO_TEST_OUTER", "outer")
    spec = dict(LOCAL, env={"GREETING": "hello", "COUNT": 3})
    command = 'echo "$GREETING $COUNT $MAESTRO_TEST_OUTER"; exit 4'
    message = check({"type": "exec", "command": command, "attempts": 1}, spec)
    assert message == "exec check %r failed: exit code 4: hello 3 outer (1 attempts)" % command


def test_exec_is_retried_until_it_passes(tmp_path, clock):
    counter = tmp_path / "tries"
    command = "n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; [ $n -ge 3 ]" % (counter, counter)
    assert check({"type": "exec", "command": command, "attempts": 5}) is None
    assert counter.read_text() == "3\n"
    assert clock.sleeps == [1.0, 1.0]


@pytest.mark.parametrize("kind", ["exec", "rexec"])
def test_exec_without_a_command_is_refused(kind):
    assert check({"type": kind, "command": ""}) == "%s check without a command" % kind
    assert check({"type": kind}) == "%s check without a command" % kind


# rexec


def test_rexec_runs_in_the_container_with_its_env(clock):
    client = FakeClient(exit_codes=[0])
    spec = dict(LOCAL, env={"A": 1, "B": "two"})
    assert check({"type": "rexec", "command": "test -f /ready", "attempts": 3}, spec, client) is None
    assert client.calls == [
        ("exec_create", "c0ffee", ["sh", "-c", "test -f /ready"], {"A": "1", "B": "two"}),
        ("exec_start", "exec-1"),
        ("exec_inspect", "exec-1"),
    ]


def test_rexec_env_is_the_containers_only(monkeypatch, clock):
    monkeypatch.setenv("MAESTRO_TEST_OUTER", "outer")
    client = FakeClient()
    assert check({"type": "rexec", "command": "true", "attempts": 1}, LOCAL, client) is None
    assert client.calls[0] == ("exec_create", "c0ffee", ["sh", "-c", "true"], {})


def test_rexec_failure_shows_exit_code_and_last_line(clock):
    client = FakeClient(exit_codes=[1], output=b"starting\nnot ready yet\n")
    message = check({"type": "rexec", "command": "curl -f localhost", "attempts": 2}, LOCAL, client)
    assert message == "rexec check 'curl -f localhost' failed: exit code 1: not ready yet (2 attempts)"
    assert [call[0] for call in client.calls].count("exec_create") == 2
    assert clock.sleeps == [1.0]


def test_rexec_passes_when_a_later_attempt_does(clock):
    client = FakeClient(exit_codes=[7, 7, 0])
    assert check({"type": "rexec", "command": "true", "attempts": 5}, LOCAL, client) is None
    assert clock.sleeps == [1.0, 1.0]


def test_rexec_tries_180_times_by_default(clock):
    client = FakeClient(exit_codes=[2])
    message = check({"type": "rexec", "command": "false"}, LOCAL, client)
    assert message == "rexec check 'false' failed: exit code 2 (180 attempts)"
    assert len(clock.sleeps) == 179


def test_rexec_docker_error_shows_its_explanation(clock):
    client = FakeClient(error=APIError("409 Client Error", explanation="container c0ffee is not running"))
    message = check({"type": "rexec", "command": "true", "attempts": 1}, LOCAL, client)
    assert message == "rexec check 'true' failed: container c0ffee is not running (1 attempts)"


def test_rexec_docker_error_without_explanation_shows_its_text(clock):
    client = FakeClient(error=DockerException("daemon gone"))
    message = check({"type": "rexec", "command": "true", "attempts": 1}, LOCAL, client)
    assert message == "rexec check 'true' failed: daemon gone (1 attempts)"


# sleep and unknown types


def test_sleep_waits_and_passes(clock):
    assert check({"type": "sleep", "wait": 2}) is None
    assert clock.sleeps == [2.0]


def test_sleep_without_wait_sleeps_zero(clock):
    assert check({"type": "sleep"}) is None
    assert clock.sleeps == [0.0]


def test_sleep_then_looks_at_the_container(clock):
    client = FakeClient(running=False, exit_code=0)
    assert check({"type": "sleep", "wait": 2}, LOCAL, client, True) == (
        "sleep check (2 s) failed: container stopped (exit code 0)"
    )
    assert client.calls == [("inspect_container", "c0ffee")]


@pytest.mark.parametrize("check_, kind", [({"type": "ftp"}, "'ftp'"), ({}, "None")])
def test_unknown_check_type(check_, kind):
    assert check(check_) == "unknown lifecycle check type %s" % kind


# the state guard


def test_stopped_container_ends_a_tcp_check_early(closed_port, clock):
    client = FakeClient(running=False, exit_code=137)
    message = check({"type": "tcp", "port": closed_port, "max_wait": 60}, LOCAL, client, True)
    assert message == "tcp check on 127.0.0.1:%d failed: container stopped (exit code 137)" % closed_port
    assert clock.sleeps == []
    assert client.calls == [("inspect_container", "c0ffee")]


def test_stopped_container_ends_an_exec_check_early(clock):
    client = FakeClient(running=False, exit_code=2)
    assert check({"type": "exec", "command": "exit 1", "attempts": 5}, LOCAL, client, True) == (
        "exec check 'exit 1' failed: container stopped (exit code 2)"
    )


def test_running_container_when_stopped_is_expected(clock):
    client = FakeClient(running=True)
    assert check({"type": "exec", "command": "exit 1", "attempts": 5}, LOCAL, client, False) == (
        "exec check 'exit 1' failed: container is running again"
    )


def test_vanished_container_ends_the_check(clock):
    client = FakeClient(inspect_error=NotFound("404 Client Error", explanation="No such container: c0ffee"))
    assert check({"type": "exec", "command": "exit 1", "attempts": 5}, LOCAL, client, True) == (
        "exec check 'exit 1' failed: container is gone: No such container: c0ffee"
    )


def test_container_in_the_expected_state_lets_the_check_poll_on(clock):
    client = FakeClient(exit_codes=[1], running=True)
    message = check({"type": "rexec", "command": "false", "attempts": 3}, LOCAL, client, True)
    assert message == "rexec check 'false' failed: exit code 1 (3 attempts)"
    # Looked at after each failed attempt but the last one.
    assert [call for call in client.calls if call[0] == "inspect_container"] == [("inspect_container", "c0ffee")] * 2
    assert clock.sleeps == [1.0, 1.0]


def test_stopped_container_when_stopped_is_expected_lets_the_check_poll_on(clock):
    client = FakeClient(running=False, exit_code=0)
    assert check({"type": "exec", "command": "exit 1", "attempts": 2}, LOCAL, client, False) == (
        "exec check 'exit 1' failed: exit code 1 (2 attempts)"
    )
    assert client.calls == [("inspect_container", "c0ffee")]


def test_passing_check_does_not_look_at_the_container(clock):
    client = FakeClient(running=False, exit_code=1)
    assert check({"type": "exec", "command": "true", "attempts": 3}, LOCAL, client, True) is None
    assert client.calls == []


# run_checks


def test_run_checks_runs_the_checks_in_parallel():
    barrier = threading.Barrier(3, timeout=5)

    class MeetingClient(FakeClient):
        def exec_start(self, exec_id):
            barrier.wait()  # breaks (and the check crashes) unless all three run at once
            return b""

    checks = [{"type": "rexec", "command": "true", "attempts": 1}] * 3
    assert lifecycle.run_checks(checks, LOCAL, MeetingClient(), "c0ffee") == []


def test_run_checks_returns_only_the_failures_in_check_order(clock):
    checks = [
        {"type": "exec", "command": "true", "attempts": 1},
        {"type": "exec", "command": "echo bad; exit 2", "attempts": 1},
        {"type": "sleep", "wait": 0},
        {"type": "ftp"},
        {"type": "tcp", "port": "http", "max_wait": 0},
    ]
    assert lifecycle.run_checks(checks, LOCAL, None, "c0ffee") == [
        "exec check 'echo bad; exit 2' failed: exit code 2: bad (1 attempts)",
        "unknown lifecycle check type 'ftp'",
        "tcp check crashed: invalid literal for int() with base 10: 'http'",
    ]


def test_run_checks_reports_a_crash_of_the_first_check():
    assert lifecycle.run_checks([{"type": "tcp", "max_wait": 0}], LOCAL, None, "c0ffee") == [
        "tcp check crashed: 'port'"
    ]


def test_run_checks_passes_expect_running_to_every_check(clock):
    client = FakeClient(exit_codes=[1], running=False, exit_code=1)
    checks = [{"type": "rexec", "command": "false", "attempts": 9}, {"type": "sleep", "wait": 1}]
    assert lifecycle.run_checks(checks, LOCAL, client, "c0ffee", expect_running=True) == [
        "rexec check 'false' failed: container stopped (exit code 1)",
        "sleep check (1 s) failed: container stopped (exit code 1)",
    ]


@pytest.mark.parametrize("checks", [[], None])
def test_run_checks_without_checks(checks):
    assert lifecycle.run_checks(checks, LOCAL, None, "c0ffee") == []
