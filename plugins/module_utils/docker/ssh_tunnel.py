# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH tunnels to the Docker daemons of ships with ``ssh_tunnel: {user, key, port}``.

As in MaestroNG (which used bgtunnel): the system ``ssh`` client logs in to the ship's
``endpoint`` and forwards a free port on the controller's 127.0.0.1 to the daemon's port
on the ship's own loopback (``127.0.0.1:docker_port``), or, when the ship also has a
``socket_path``, to that unix socket on the ship. One tunnel per route and per process,
ended when the process exits.
"""

from __future__ import annotations

import atexit
import math
import os
import shlex
import socket
import subprocess
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ..records import Ship

# Extra ssh arguments (shell words), put before ours so that their -o options win
# (ssh keeps the first value it sees), e.g. "-o UserKnownHostsFile=/path -o ProxyJump=bastion".
EXTRA_ARGS_VAR = "MAESTRO_SSH_ARGS"
DEFAULT_CONNECT_TIMEOUT = 10
# After the TCP connect: key exchange, authentication and setting up the forward.
LOGIN_GRACE = 20
BIND_ATTEMPTS = 3
READY = "maestro-ssh-tunnel-ready"

_tunnels: dict[Any, Any] = {}
_tunnels_lock = threading.Lock()
_route_locks: dict[Any, threading.Lock] = {}
_cleanup_pid = None


class TunnelError(Exception):
    """The tunnel could not be made (the message is the reason, without the ship)."""


def route_of(ship: Ship) -> tuple[str, str, int, Optional[str], str]:
    """(user, host, ssh port, key, remote target) of a ship dict with ``ssh_tunnel``
    (whose own ``target``, "host:port" or a socket path on the ship, comes first)."""
    tunnel = ship["ssh_tunnel"]
    if tunnel is None:
        raise TunnelError("ship %s has no ssh_tunnel" % ship["name"])
    target = tunnel.get("target") or ship["socket_path"] or "127.0.0.1:%d" % ship["docker_port"]
    return (tunnel["user"], ship["endpoint"] or ship["ip"], int(tunnel["port"] or 22), tunnel["key"], target)


def describe(ship: Ship) -> str:
    """``ssh://user@host:port`` of a ship's tunnel, for messages."""
    user, host, port = route_of(ship)[:3]
    return "ssh://%s@%s:%d" % (user, host, port)


def local_url(ship: Ship) -> str:
    """Open (or reuse) the ship's tunnel; return the Docker URL of its local end."""
    route = route_of(ship)
    with _tunnels_lock:
        tunnel = _tunnels.get(route)
        if tunnel is not None and tunnel.alive():
            return tunnel.url
        lock = _route_locks.setdefault(route, threading.Lock())
    # Tunnels to different ships open in parallel; the same route only once.
    with lock:
        with _tunnels_lock:
            tunnel = _tunnels.get(route)
        if tunnel is None or not tunnel.alive():
            if tunnel is not None:
                tunnel.close()
            tunnel = _Tunnel(route, ship.get("ssh_timeout"), probe=not (ship.get("tls") or ship.get("tls_verify")))
            tunnel.open()
            with _tunnels_lock:
                _tunnels[route] = tunnel
                _register_cleanup()
        return tunnel.url


def close_all() -> None:
    """End the tunnels this process opened (not those inherited from a parent process)."""
    with _tunnels_lock:
        tunnels = list(_tunnels.values())
        _tunnels.clear()
    for tunnel in tunnels:
        tunnel.close()


def _register_cleanup():
    # atexit for ordinary processes; multiprocessing children (Ansible's task workers)
    # leave through os._exit, which only runs multiprocessing's own finalizers.
    global _cleanup_pid
    if _cleanup_pid == os.getpid():
        return
    _cleanup_pid = os.getpid()
    atexit.register(close_all)
    try:
        from multiprocessing import util

        util.Finalize(None, close_all, exitpriority=10)
    except ImportError:  # pragma: no cover
        pass


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Tunnel:
    def __init__(self, route, connect_timeout, probe):
        self.route = route
        # ssh wants whole seconds, and takes 0 as no timeout at all.
        self.connect_timeout = max(1, int(math.ceil(connect_timeout or DEFAULT_CONNECT_TIMEOUT)))
        self.probe = probe
        self.proc = None
        self.pid = os.getpid()
        self.port = None
        self.url = None
        self._log = None
        self._out = None

    def command(self, port):
        user, host, ssh_port, key, target = self.route
        args = ["ssh"] + shlex.split(os.environ.get(EXTRA_ARGS_VAR, ""))
        args += [
            "-N",
            "-T",
            # Never prompt: no terminal to answer on, fail instead.
            "-o",
            "BatchMode=yes",
            # Its own connection, never a multiplexed one: ending our ssh ends the tunnel.
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            # A port taken since we picked it must fail, not leave a tunnel without a forward.
            "-o",
            "ExitOnForwardFailure=yes",
            # Trust a ship seen for the first time, refuse one whose host key changed.
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            "ConnectTimeout=%d" % self.connect_timeout,
            "-o",
            "ServerAliveInterval=15",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            "LogLevel=ERROR",
            # Said once the forward listens (ssh runs it after setting up forwards), so that
            # a port taken by someone else is never mistaken for ours.
            "-o",
            "PermitLocalCommand=yes",
            "-o",
            "LocalCommand=echo " + READY,
            "-p",
            str(ssh_port),
            "-l",
            user,
        ]
        if key:
            args += ["-i", key, "-o", "IdentitiesOnly=yes"]
        args += ["-L", "127.0.0.1:%d:%s" % (port, target), "--", host]
        return args

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def open(self):
        key = self.route[3]
        if key and not os.path.isfile(key):
            # ssh would only say "Permission denied" (its warning is below LogLevel=ERROR).
            raise TunnelError("ssh_tunnel.key %s: no such file" % key)
        reason = None
        for _attempt in range(BIND_ATTEMPTS):
            port = _free_port()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - open while ssh runs; close() closes it
            self._out = tempfile.TemporaryFile()  # noqa: SIM115 - as _log
            try:
                # A long-lived ssh (run_command only waits for a command to end).
                self.proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                    self.command(port),
                    stdin=subprocess.DEVNULL,
                    stdout=self._out,
                    stderr=self._log,
                )
            except OSError as exc:
                self.close()
                raise TunnelError("cannot run ssh: %s" % exc) from exc
            reason = self._wait_ready(port)
            if reason is None:
                self.port = port
                self.url = "tcp://127.0.0.1:%d" % port
                return
            # Someone else took the port between our pick and ssh's bind: pick another.
            taken = "cannot listen to port" in self.stderr(last=False)
            self.close()
            if not taken:
                break
        raise TunnelError(reason)

    def _wait_ready(self, port):
        """None once the forward answers, else why not."""
        deadline = time.monotonic() + self.connect_timeout + LOGIN_GRACE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return "ssh tunnel failed (exit %d): %s" % (self.proc.returncode, self.stderr() or "no message")
            self._out.seek(0)
            if READY.encode() not in self._out.read():
                time.sleep(0.01)
                continue
            if not self.probe:
                return None
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=self.connect_timeout)
            except OSError as exc:
                return "ssh tunnel: cannot connect to its local end 127.0.0.1:%d: %s" % (port, exc)
            with conn:
                return self._check_target(conn)
        return "ssh tunnel not up after %ds%s" % (
            self.connect_timeout + LOGIN_GRACE,
            (": " + self.stderr()) if self.stderr() else "",
        )

    def _check_target(self, conn):
        """A Docker _ping through the tunnel, so a dead daemon behind it is named here."""
        target = self.route[4]
        try:
            conn.settimeout(self.connect_timeout + LOGIN_GRACE)
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = conn.recv(64)
        except OSError:
            reply = b""
        if reply.startswith(b"HTTP/"):
            return None
        why = self.stderr()
        return "ssh tunnel is up, but nothing answers at %s on the ship%s" % (target, (": " + why) if why else "")

    def stderr(self, last=True):
        """The last line ssh wrote (or all of it)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [line.strip() for line in self._log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        if not last:
            return "\n".join(lines)
        return lines[-1] if lines else ""

    def close(self):
        # A forked child shares our tunnel but must not end it.
        if self.proc is not None and self.pid == os.getpid() and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pid == os.getpid():
            for handle in (self._log, self._out):
                if handle is not None:
                    handle.close()
            self._log = self._out = None
