"""Python side of the multi-ship Docker lab (files/lab/lab.sh) for the integration tests.

    from helpers.lab import Lab
    lab = Lab()
    ships = lab.up(3)     # [{'name': 'ship1', 'ip': '10.250.0.2',
                          #   'url': 'tcp://10.250.0.2:2375',
                          #   'socket': '/run/mlab/ship1/docker.sock', 'number': 1}, ...]
    api = lab.client(2)   # docker.APIClient for ship2 (API 1.41, timeout 60 s)
    lab.reset()           # remove every container on this lab's ships (parallel)
    lab.stop_ship(3)      # ship3's API refuses connections (its containers stay, stopped)
    lab.start_ship(3)     # and it is back (images still loaded)
    Lab(first=40).tls_ship(1, certs)  # ship40, its API on tcp://IP:2376 with --tlsverify
    lab.down()            # tear the whole lab down

Ship numbers: `k` in stop_ship/start_ship/client/ship is the 1-based position in
`lab.ships`. With the default `first=1` that is the ship number itself (client(2) is
ship2). A Lab with first=4 (used for a second pytest-xdist worker) owns ship4..ship6, and
client(1) is ship4.

Everything here must run as root (lab.sh creates netns, bridges and dockerds).
"""

import os
import shutil
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
LAB_SH = REPO_ROOT / "files" / "lab" / "lab.sh"
API_VERSION = "1.41"  # dockerd 20.10 (Debian docker.io); pinned: no negotiation
IMAGE = "maestro-test/busybox:latest"
IMAGE_V2 = "maestro-test/busybox:v2"
REQUIRED_TOOLS = ("docker", "dockerd", "ip", "iptables", "nsenter", "setsid", "flock")


class LabError(RuntimeError):
    """lab.sh failed; the message carries its stderr."""


def unavailable(reason):
    """Skip the calling test or fixture because something it needs is not on this machine, or
    fail it under MAESTRO_REQUIRE_LAB=1 (CI): there nothing may be skipped for that. `reason`
    starts with the area ("SSH ships: ..."), which the run's closing skip summary groups by."""
    import pytest

    if os.environ.get("MAESTRO_REQUIRE_LAB") == "1":
        pytest.fail("MAESTRO_REQUIRE_LAB=1 but " + reason, pytrace=False)
    pytest.skip(reason + " (as root, tests/lab/prereqs.sh sets it up; MAESTRO_REQUIRE_LAB=1 fails instead)")


def missing_prerequisites():
    """Why the lab cannot run on this machine (a string), or None when it can."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, bridges, dockerd)"
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        return "missing tools: %s" % ", ".join(missing)
    if not LAB_SH.is_file():
        return "%s not found" % LAB_SH
    return None


def _port_open(ip, port, timeout=1.0):
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def worker_index():
    """This test process's lab slot: pytest-xdist worker N (gwN) is N, and MAESTRO_LAB_SLOT=S
    adds 20*S, so separate checkouts can test at once on ships of their own (slot 1: ship61-63)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return index + 20 * int(os.environ.get("MAESTRO_LAB_SLOT") or 0)


def ready(first, n):
    """Lab ships first..first+n-1, up and without containers; the test fails if they cannot be."""
    import pytest  # only the tests' fixtures call this

    ships = Lab(first=first)
    try:
        ships.up(n)
        ships.reset()
    except LabError as exc:
        pytest.fail(str(exc), pytrace=False)
    return ships


class Lab:
    """A handle on ships first..first+n-1 of the lab created by files/lab/lab.sh."""

    def __init__(self, first=1, script=LAB_SH, env=None):
        if first < 1:
            raise ValueError("first ship number must be >= 1")
        self.first = first
        self.script = Path(script)
        self.env = dict(os.environ if env is None else env)
        self.ships = []
        self._clients = {}

    # ------------------------------------------------------------------ lab.sh
    def run(self, *args, timeout=900):
        """Run `lab.sh ARGS...`; return its stdout, raise LabError on failure."""
        proc = subprocess.run(
            ["bash", str(self.script)] + [str(a) for a in args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise LabError(
                "lab.sh %s failed (exit %d):\n%s%s"
                % (" ".join(map(str, args)), proc.returncode, proc.stdout, proc.stderr)
            )
        return proc.stdout

    @staticmethod
    def _parse(line):
        # "ship2 tcp://10.250.0.3:2375 /run/mlab/ship2/docker.sock"
        name, url, sock = line.split()
        host = url.split("://", 1)[1].rsplit(":", 1)[0]
        return {"name": name, "ip": host, "url": url, "socket": sock, "number": int(name[len("ship") :])}

    def up(self, n=3):
        """Make sure ships first..first+n-1 run (idempotent) and return them."""
        out = self.run("up", "%d-%d" % (self.first, self.first - 1 + n))
        by_number = {}
        for line in out.splitlines():
            if line.startswith("ship"):
                ship = self._parse(line)
                by_number[ship["number"]] = ship
        self.ships = [by_number[k] for k in range(self.first, self.first + n)]
        self._clients.clear()
        return self.ships

    def down(self):
        """Tear the whole lab down (all ships, bridge, iptables rule, data)."""
        self.run("down")
        self.ships = []
        self._clients.clear()

    def ship(self, k):
        """The ship dict at 1-based position k."""
        if not self.ships:
            raise LabError("Lab.up() has not been called")
        if not 1 <= k <= len(self.ships):
            raise IndexError("ship %r: this lab has ships 1..%d" % (k, len(self.ships)))
        return self.ships[k - 1]

    def stop_ship(self, k):
        """Stop ship k's dockerd (SIGTERM, wait until gone): its API becomes unreachable."""
        self.run("stop-ship", self.ship(k)["number"])
        self._clients.pop(k, None)

    def start_ship(self, k):
        """Start ship k's dockerd again and wait until its API answers."""
        self.run("start-ship", self.ship(k)["number"])
        self._clients.pop(k, None)

    def tls_ship(self, k, cert_dir):
        """Make ship k (1-based position; created if needed, without the ships before it)
        serve its TCP API only over TLS (--tlsverify) with cert_dir's ca.pem,
        server-cert.pem and server-key.pem; cert_dir="off" makes it plain again. Returns
        its dict (url tcp://IP:2376, "tls": True); client(k) then uses its unix socket."""
        if not 1 <= k <= len(self.ships) + 1:
            raise IndexError("ship %r: this lab has ships 1..%d" % (k, len(self.ships)))
        out = self.run("tls-ship", self.first + k - 1, cert_dir)
        ship = self._parse([line for line in out.splitlines() if line.startswith("ship")][-1])
        ship["tls"] = str(cert_dir) != "off"
        if k > len(self.ships):
            self.ships.append(ship)
        else:
            self.ships[k - 1] = ship
        self._clients.pop(k, None)
        return ship

    # ------------------------------------------------------------------ docker SDK
    def client(self, k, timeout=60):
        """A fresh docker.APIClient for ship k (API 1.41; a TLS ship's over its socket)."""
        ship = self.ship(k)
        url = "unix://" + ship["socket"] if ship.get("tls") else ship["url"]
        return docker.APIClient(base_url=url, version=API_VERSION, timeout=timeout, max_pool_size=32)

    def _cached_client(self, k):
        if k not in self._clients:
            self._clients[k] = self.client(k)
        return self._clients[k]

    def reset(self, networks=False):
        """Remove every container (and every volume no container uses) on this lab's ships, in
        parallel. A ship whose API does not answer (e.g. a test stopped it and failed)
        is started again first. networks=True also removes user-defined networks."""
        if not self.ships:
            raise LabError("Lab.up() has not been called")
        ks = range(1, len(self.ships) + 1)
        for k in ks:
            s = self.ship(k)
            if not _port_open(s["ip"], int(s["url"].rsplit(":", 1)[1])):
                self.start_ship(k)

        def containers(k):
            api = self._cached_client(k)
            return [(k, c["Id"]) for c in api.containers(all=True, quiet=True)]

        def remove(item):
            k, cid = item
            try:
                self._cached_client(k).remove_container(cid, force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as e:
                # "removal already in progress" from a concurrent remove is fine.
                if "already in progress" not in str(e):
                    raise

        with ThreadPoolExecutor(max_workers=16) as pool:
            items = [it for lst in pool.map(containers, ks) for it in lst]
            list(pool.map(remove, items))
            # Volumes a replacement carried over are named mounts, which removing a container leaves.
            list(pool.map(lambda k: self._cached_client(k).prune_volumes(), ks))
            if networks:

                def drop_networks(k):
                    api = self._cached_client(k)
                    for net in api.networks():
                        if net["Name"] not in ("bridge", "host", "none"):
                            api.remove_network(net["Id"])

                list(pool.map(drop_networks, ks))

    def api_up(self, k, timeout=2):
        """True when ship k's API answers a ping."""
        try:
            return self.client(k, timeout=timeout).ping()
        except (requests.exceptions.RequestException, docker.errors.DockerException):
            return False
