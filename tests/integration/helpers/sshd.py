"""An sshd inside a lab ship's network namespace, for the SSH tests (tests/integration/test_ssh.py).

    server = Sshd(lab.ships[1])      # a ship dict of tests/integration/helpers/lab.py
    server.start()                   # idempotent: reuses our sshd if it already runs
    server.key                       # private key the server accepts for root
    server.loopback_docker()         # the ship's dockerd also at 127.0.0.1:2375 in its netns
    server.stop()                    # our processes only, by pid

The netns shares the host's filesystem, so sessions see the ship's docker socket and the
repository's .venv. Everything lives in /run/maestro-test-sshd/<ship>/ and is kept between
runs (keys included), so a rerun finds the same host key. A small relay (this file run as
a script) stands in for a dockerd listening on the ship's loopback, the setup MaestroNG's
ssh_tunnel was made for; the lab's daemons listen on the ship address and a unix socket.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE_ROOT = Path("/run/maestro-test-sshd")
SSHD = "/usr/sbin/sshd"
LOOPBACK_PORT = 2375

CONFIG = """\
ListenAddress {ip}
Port 22
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM {pam}
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
PrintMotd no
Subsystem sftp internal-sftp
"""


def _root_locked():
    """Without PAM, sshd refuses every login to an account whose password is locked ("!")."""
    try:
        for line in Path("/etc/shadow").read_text().splitlines():
            if line.startswith("root:"):
                return line.split(":")[1].startswith("!")
    except OSError:
        pass
    return False


def missing_prerequisites():
    for tool in (SSHD, "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/nsenter"):
        if not os.path.exists(tool):
            return "no %s (openssh-server openssh-client util-linux)" % tool
    return None


def _ours(pidfile, marker):
    """The pid in pidfile if that process is alive and its command line holds marker."""
    try:
        pid = int(Path(pidfile).read_text().split()[0])
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return None
    return pid if marker in cmdline else None


def _stop(pidfile, marker, child=None):
    pid = _ours(pidfile, marker)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _ours(pidfile, marker) == pid and time.monotonic() < deadline:
            if child is not None:
                child.poll()  # reap it, or it stays a zombie that still looks alive
            time.sleep(0.02)
    Path(pidfile).unlink(missing_ok=True)


def _wait_port(host, port, what, proc=None, log=None, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.02)
    detail = Path(log).read_text()[-2000:] if log and Path(log).exists() else ""
    raise RuntimeError("%s did not listen on %s:%d\n%s" % (what, host, port, detail))


class Sshd:
    def __init__(self, ship):
        self.ship = ship
        self.ip = ship["ip"]
        self.netns = "/var/run/netns/%s" % ship["name"]
        self.dir = STATE_ROOT / ship["name"]
        self.config = self.dir / "sshd_config"
        self.pidfile = self.dir / "sshd.pid"
        self.log = self.dir / "sshd.log"
        self.key = self.dir / "id_ed25519"
        self.host_key = self.dir / "ssh_host_ed25519_key"
        self.relay_pidfile = self.dir / "relay.pid"
        self._children = {}  # pidfile -> Popen, to reap what we started

    # ------------------------------------------------------------------ sshd
    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        for key in (self.key, self.host_key):
            if not key.exists():
                key.with_name(key.name + ".pub").unlink(missing_ok=True)
                subprocess.run(
                    ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "maestro-test", "-f", str(key)], check=True
                )
        (self.dir / "authorized_keys").write_text(Path(str(self.key) + ".pub").read_text())
        self.config.write_text(CONFIG.format(ip=self.ip, dir=self.dir, pam="yes" if _root_locked() else "no"))
        if _ours(self.pidfile, str(self.config)) is None:
            with open(self.log, "ab") as log:
                proc = subprocess.Popen(
                    ["nsenter", "--net=" + self.netns, SSHD, "-D", "-f", str(self.config), "-E", str(self.log)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            self._children[self.pidfile] = proc
            _wait_port(self.ip, 22, "sshd in " + self.netns, proc, self.log)
        return self

    def host_key_line(self):
        """The server's public host key as a known_hosts line."""
        return "%s %s" % (self.ip, " ".join(Path(str(self.host_key) + ".pub").read_text().split()[:2]))

    # ------------------------------------------------------------------ relay
    def loopback_docker(self):
        """Make the ship's dockerd answer at 127.0.0.1:2375 inside its netns (idempotent)."""
        if _ours(self.relay_pidfile, str(self.relay_pidfile)) is None:
            proc = subprocess.Popen(
                [
                    "nsenter",
                    "--net=" + self.netns,
                    sys.executable,
                    __file__,
                    "relay",
                    str(LOOPBACK_PORT),
                    self.ship["socket"],
                    str(self.relay_pidfile),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._children[self.relay_pidfile] = proc
            deadline = time.monotonic() + 10
            while _ours(self.relay_pidfile, str(self.relay_pidfile)) is None:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("relay in %s did not start" % self.netns)
                time.sleep(0.02)

    def stop(self):
        """Stop our relay and sshd (also those a previous run left), by pidfile."""
        _stop(self.relay_pidfile, str(self.relay_pidfile), self._children.pop(self.relay_pidfile, None))
        _stop(self.pidfile, str(self.config), self._children.pop(self.pidfile, None))


# ---------------------------------------------------------------------- relay script
def _relay(port, sock_path, pidfile):
    """127.0.0.1:port -> unix socket sock_path, one thread pair per connection."""
    import threading

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    Path(pidfile).write_text("%d\n" % os.getpid())
    while True:
        client = server.accept()[0]
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(sock_path)
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


if __name__ == "__main__" and sys.argv[1:2] == ["relay"]:
    _relay(int(sys.argv[2]), sys.argv[3], sys.argv[4])
