# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG lifecycle checks (tcp, http, exec, rexec, sleep).

The checks of one lifecycle state run in parallel threads and must all pass. A check
that polls (every type but sleep) is retried once per second and fails early when the
container leaves the state the caller expects it to stay in.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Iterable, Optional

from ..defaults import CHECK_MAX_WAIT, EXEC_CHECK_ATTEMPTS
from .client import DockerException

if TYPE_CHECKING:
    from docker import APIClient

    from ..records import Check, InstanceSpec

# How long a fresh connection must stay open (or answer) to count as a real listener:
# docker-proxy accepts on the published port even when nothing listens in the
# container, then closes the connection as soon as its own connect to the backend fails.
TCP_SETTLE = 0.3
CONNECT_TIMEOUT = 1.0
HTTP_CHECK_TIMEOUT = 5.0


def tcp_probe(host: str, port: int) -> Optional[str]:
    """None when something listens on host:port (and keeps the connection), else why not."""
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        return str(exc) or type(exc).__name__
    with sock:
        sock.settimeout(TCP_SETTLE)
        try:
            data = sock.recv(1)
        except socket.timeout:
            return None
        except OSError as exc:
            return str(exc) or type(exc).__name__
    return None if data else "connection closed right after accept (nothing listening behind the port?)"


def _http_probe(check, url):
    request = urllib.request.Request(url, method=check.get("method") or "GET")
    # No proxy: the ship is addressed directly, like MaestroNG does.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=HTTP_CHECK_TIMEOUT) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))
    regex = check.get("match_regex")
    if regex:
        if re.search(regex, body.decode("utf-8", "replace")):
            return None
        return "response (HTTP %d) does not match %r" % (status, regex)
    return None if status == 200 else "HTTP %d" % status


def _last_line(output):
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return ": " + lines[-1] if lines else ""


def _exec_probe(command, env):
    # Also run by the action plugins on the controller, where there is no AnsibleModule.run_command.
    proc = subprocess.run(  # pylint: disable=ansible-bad-function
        command,
        shell=True,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    if proc.returncode == 0:
        return None
    return "exit code %d%s" % (proc.returncode, _last_line(proc.stdout))


def _rexec_probe(client, container_id, command, env):
    try:
        exec_id = client.exec_create(container_id, ["sh", "-c", command], environment=env)["Id"]
        output = client.exec_start(exec_id)
        code = client.exec_inspect(exec_id)["ExitCode"]
    except DockerException as exc:
        return getattr(exc, "explanation", None) or str(exc)
    return None if code == 0 else "exit code %s%s" % (code, _last_line(output))


def _state_guard(client, container_id, expect_running):
    """A function telling why the container left the expected state, or None."""

    def guard():
        if expect_running is None:
            return None
        try:
            state = client.inspect_container(container_id)["State"]
        except DockerException as exc:
            return "container is gone: %s" % (getattr(exc, "explanation", None) or exc)
        if expect_running and not state["Running"]:
            return "container stopped (exit code %s)" % state["ExitCode"]
        if not expect_running and state["Running"]:
            return "container is running again"
        return None

    return guard


def _poll(probe, guard, attempts=None, max_wait=None):
    """Run probe once a second until it passes (None) or attempts/max_wait run out."""
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        began = time.monotonic()
        error = probe()
        if error is None:
            return None
        if attempts is not None and attempt >= attempts:
            return "%s (%d attempts)" % (error, attempt)
        if max_wait is not None and time.monotonic() + 1 - start > max_wait:
            return "%s (gave up after %.0f s)" % (error, time.monotonic() - start)
        left = guard()
        if left:
            return left
        time.sleep(max(0.0, 1 - (time.monotonic() - began)))


def _container_env(spec):
    return {str(k): str(v) for k, v in (spec.get("env") or {}).items()}


def run_check(
    check: Check,
    spec: InstanceSpec,
    client: APIClient,
    container_id: str,
    expect_running: Optional[bool] = None,
) -> Optional[str]:
    """Run one check; return None when it passes, else a one-line failure message."""
    kind = check.get("type")
    guard = _state_guard(client, container_id, expect_running)
    host = check.get("host") or spec.get("ship_ip")
    if kind in ("tcp", "http"):
        max_wait = check.get("max_wait", CHECK_MAX_WAIT[kind])
        if kind == "tcp":
            what = "tcp check on %s:%s" % (host, check.get("port"))
            error = _poll(lambda: tcp_probe(host, int(check["port"])), guard, max_wait=max_wait)
        else:
            url = "%s://%s:%s%s" % (check.get("scheme") or "http", host, check.get("port"), check.get("path") or "/")
            what = "http check on %s" % url
            error = _poll(lambda: _http_probe(check, url), guard, max_wait=max_wait)
    elif kind in ("exec", "rexec"):
        command = check.get("command")
        if not command:
            return "%s check without a command" % kind
        what = "%s check %r" % (kind, command)
        attempts = check.get("attempts", EXEC_CHECK_ATTEMPTS)
        if kind == "exec":
            env = dict(os.environ, **_container_env(spec))
            error = _poll(lambda: _exec_probe(command, env), guard, attempts=attempts)
        else:
            env = _container_env(spec)
            error = _poll(lambda: _rexec_probe(client, container_id, command, env), guard, attempts=attempts)
    elif kind == "sleep":
        what = "sleep check (%s s)" % check.get("wait")
        time.sleep(float(check.get("wait") or 0))
        error = guard()
    else:
        return "unknown lifecycle check type %r" % (kind,)
    return None if error is None else "%s failed: %s" % (what, error)


def run_checks(
    checks: Iterable[Check],
    spec: InstanceSpec,
    client: APIClient,
    container_id: str,
    expect_running: Optional[bool] = None,
) -> list[str]:
    """Run checks in parallel; return the failure messages (empty list = all passed).

    expect_running: True/False makes polling checks fail as soon as the container is
    found stopped/running; None does not look at the container.
    """
    checks = list(checks or [])
    results: list[Optional[str]] = [None] * len(checks)

    def worker(index):
        try:
            results[index] = run_check(checks[index], spec, client, container_id, expect_running)
        except Exception as exc:  # a check must report, not kill its thread silently
            results[index] = "%s check crashed: %s" % (checks[index].get("type"), exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(1, len(checks))]
    for thread in threads:
        thread.start()
    if checks:
        worker(0)
    for thread in threads:
        thread.join()
    return [message for message in results if message]
