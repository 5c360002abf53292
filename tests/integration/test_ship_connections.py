"""How ships are reached: TLS (a test CA made here with openssl, a ship daemon run with
--tlsverify), a unix socket (`socket_path`), the `api_version` each request carries, and
`timeout` against a daemon made slow for real by a proxy (tests/integration/helpers/slowproxy.py).

The TLS ship is the lab's special ship 40 (`lab.sh tls-ship 40 DIR`), which no other test
uses; every other ship comes from the `lab` fixture. What happened is always read from the
daemons themselves (over their unix sockets) or from the proxies' request logs.
"""

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.certs import make_ca, sign
from helpers.envs import IMAGE, REPO, failed, inspect_all, ok, playbook, write_env
from helpers.lab import Lab
from helpers.slowproxy import SlowProxy

SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
TLS_SHIP = 40
# MaestroNG's fixed client timeout; the slow proxy holds container creates longer.
MAESTRO_TIMEOUT = 5
DELAY = 5.5
CREATE = r"^POST /v[\d.]+/containers/create"
ANSIBLE_INVENTORY = REPO / ".venv" / "bin" / "ansible-inventory"


def sleepers(names_ships, service="svc"):
    return {
        service: {
            "image": IMAGE,
            "instances": {name: {"ship": ship, "command": SLEEP, "stop_timeout": 1} for name, ship in names_ships},
        }
    }


def model(name, ships, services):
    return {"__maestro": {"schema": 2}, "name": name, "ships": ships, "services": services}


# --------------------------------------------------------------------------- a test CA
def make_certs(folder, ip):
    """Docker's layout: the ship's CA and server certificate (for ``ip``), a client
    certificate of the same CA, and a second CA with its own client certificate."""
    good = make_ca(folder / "ca", "maestro test CA")
    sign(good, good, "server", "ship", "subjectAltName=IP:%s\nextendedKeyUsage=serverAuth" % ip)
    sign(good, good, "client", "maestro", "extendedKeyUsage=clientAuth")
    other = make_ca(folder / "other", "some other CA")
    sign(other, other, "client", "maestro", "extendedKeyUsage=clientAuth")
    return good, other


@pytest.fixture(scope="module")
def tls(lab, tmp_path_factory):
    """Ship 40 serving its API only over TLS, with a fresh test CA: (ship dict, good CA
    folder, other CA folder, Lab of that ship). Its containers are removed afterwards."""
    net = lab.ships[0]["ip"].rsplit(".", 1)[0]
    good, other = make_certs(tmp_path_factory.mktemp("tls"), "%s.%d" % (net, TLS_SHIP + 1))
    tls_lab = Lab(first=TLS_SHIP)
    ship = tls_lab.tls_ship(1, good)  # its ca.pem, server-cert.pem, server-key.pem
    tls_lab.reset()
    yield ship, good, other, tls_lab
    tls_lab.reset()


@pytest.fixture
def ca_bundle(tls, monkeypatch):
    """Another CA in REQUESTS_CA_BUNDLE, as a controller's own bundle would be: plain
    requests lets it replace a ship's tls_ca_cert (or tls_verify: false) on every request."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls[2] / "ca.pem"))


def tls_keys(good, other=None, client=True, verify=True, ca=None):
    keys = {"tls": True}
    if verify:
        keys.update(tls_verify=True, tls_ca_cert=str((ca or good) / "ca.pem"))
    if client:
        issuer = other or good
        keys.update(tls_cert=str(issuer / "client-cert.pem"), tls_key=str(issuer / "client-key.pem"))
    return keys


# --------------------------------------------------------------------------- TLS
def test_tls_ship_start_status_stop(tls, tmp_path, ca_bundle):
    ship, good, dummy, tls_lab = tls
    # Paths relative to the environment file, and no docker_port: TLS means 2376.
    for name in ("ca.pem", "client-cert.pem", "client-key.pem"):
        (tmp_path / name).write_bytes((good / name).read_bytes())
    ships = {
        "secure": {
            "ip": ship["ip"],
            "tls": True,
            "tls_verify": True,
            "tls_ca_cert": "ca.pem",
            "tls_cert": "client-cert.pem",
            "tls_key": "client-key.pem",
        }
    }
    path = write_env(tmp_path, model("tlsenv", ships, sleepers([("tls-1", "secure"), ("tls-2", "secure")])))

    run = ok(playbook("start", env=path))
    assert "2/2 started" in run.output, str(run)
    found = inspect_all(tls_lab)
    assert {n: c["State"]["Running"] for n, c in found.items()} == {"tls-1": True, "tls-2": True}

    rows = ok(playbook("status", env=path)).result("Ask every ship")["instances"]
    assert {r["instance"]: (r["ship"], r["state"]) for r in rows} == {
        "tls-1": ("secure", "running"),
        "tls-2": ("secure", "running"),
    }, rows

    ok(playbook("stop", env=path))
    found = inspect_all(tls_lab)
    assert sorted(found) == ["tls-1", "tls-2"] and not any(c["State"]["Running"] for c in found.values())
    tls_lab.reset()


def test_tls_errors_name_the_ship(tls, tmp_path, ca_bundle):
    """One daemon, six ways to reach it: only the right client certificate and CA (or no
    verification at all, as MaestroNG allows) get through; each failure names its ship."""
    ship, good, other, tls_lab = tls
    ships = {
        "nocert": dict(ip=ship["ip"], **tls_keys(good, client=False)),
        "strangecert": dict(ip=ship["ip"], **tls_keys(good, other=other)),
        "wrongca": dict(ip=ship["ip"], **tls_keys(good, ca=other)),
        "noverify": dict(ip=ship["ip"], **tls_keys(good, verify=False)),
    }
    # The right files, but an endpoint (a TCP relay on 127.0.0.1) the certificate does not name.
    relay = SlowProxy((ship["ip"], int(ship["url"].rsplit(":", 1)[1])))
    ships["elsewhere"] = dict(proxied(relay, ship), **tls_keys(good))
    # A certificate file that is not there.
    ships["typo"] = dict(ip=ship["ip"], **dict(tls_keys(good), tls_key=str(tmp_path / "nope.pem")))
    path = write_env(tmp_path, model("tlsbad", ships, sleepers([(s + "-1", s) for s in ships])))
    with relay:
        run = failed(playbook("start", env=path, keep_going=True))
    url, relayed = ship["url"], "tcp://127.0.0.1:%d" % relay.port
    refused = "the daemon refused our client certificate: check tls_cert and tls_key"
    why = {
        s["instance"]: " ".join(s["why"].split())
        for s in run.result("Start, each service once its dependencies are up")["skipped_instances"]
    }
    assert sorted(why) == ["elsewhere-1", "nocert-1", "strangecert-1", "typo-1", "wrongca-1"], why
    assert why["typo-1"] == "ship typo (%s) has a bad tls_key: no such file: %s" % (url, tmp_path / "nope.pem")
    for name, where, what in (
        ("nocert", url, refused),
        ("strangecert", url, refused),
        ("wrongca", url, "certificate verify failed: unable to get local issuer certificate (check tls_ca_cert)"),
        (
            "elsewhere",
            relayed,
            "certificate verify failed: IP address mismatch, certificate is not valid for "
            "'127.0.0.1'. (the daemon's certificate does not name the endpoint)",
        ),
    ):
        assert why[name + "-1"].startswith("ship %s (%s) failed TLS: " % (name, where)), why
        assert what in why[name + "-1"], why
    # Not verifying the daemon still sends the client certificate, which it accepts.
    assert {n: c["State"]["Running"] for n, c in inspect_all(tls_lab).items()} == {"noverify-1": True}
    tls_lab.reset()


def test_inventory_passes_tls_keys(tls, tmp_path, ca_bundle):
    """The inventory's host variables carry the TLS keys, and the service role uses them."""
    ship, good, dummy, tls_lab = tls
    ships = {
        "secure": dict(ip=ship["ip"], api_version="1.40", timeout=20, **tls_keys(good)),
        "loose": dict(ip=ship["ip"], **tls_keys(good, verify=False)),
    }
    path = write_env(tmp_path, model("tlsinv", ships, sleepers([("inv-1", "secure"), ("inv-2", "loose")])))
    run_env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    run_env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    proc = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(path), "--host", "secure"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    host = json.loads(proc.stdout)
    expected = {
        "maestro_docker_url": ship["url"],
        "maestro_docker_tls": True,
        "maestro_docker_tls_verify": True,
        "maestro_docker_ca_cert": str(good / "ca.pem"),
        "maestro_docker_client_cert": str(good / "client-cert.pem"),
        "maestro_docker_client_key": str(good / "client-key.pem"),
        "maestro_docker_api_version": "1.40",
        "maestro_docker_timeout": 20,
    }
    assert {k: host.get(k) for k in expected} == expected, host
    (tmp_path / "site.yml").write_text(
        "- hosts: svc\n  gather_facts: false\n  roles: [{role: maestro.ng.service, maestro_service: svc}]\n"
    )
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(path), "site.yml"],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {n: c["State"]["Running"] for n, c in inspect_all(tls_lab).items()} == {"inv-1": True, "inv-2": True}
    # The loose ship asked not to check the daemon: no urllib3 warning on each request
    # (which made MaestroNG's output unreadable). Python's default warning filters here.
    assert "InsecureRequestWarning" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    tls_lab.reset()


# --------------------------------------------------------------------------- socket_path, api_version
def proxied(proxy, ship, **keys):
    """A ship reached through ``proxy``; its ip stays the ship's own."""
    return dict(ip=ship["ip"], endpoint=proxy.host, docker_port=proxy.port, **keys)


def test_socket_path_and_api_version(clean_lab, tmp_path):
    """start and status over a unix socket, and over proxies that log each request's path:
    a pinned api_version is in every path, "auto" asks the daemon first."""
    s1, s2, s3 = clean_lab.ships
    with SlowProxy((s1["ip"], 2375)) as p1, SlowProxy((s2["ip"], 2375)) as p2, SlowProxy((s2["ip"], 2375)) as p3:
        ships = {
            "pinned": proxied(p1, s1, api_version="1.40"),
            "auto": proxied(p2, s2, api_version="auto"),
            "default": proxied(p3, s2),
            # An unroutable endpoint: only the socket can work.
            "local": {"ip": s3["ip"], "endpoint": "127.0.0.1", "docker_port": 9, "socket_path": s3["socket"]},
        }
        placed = [("old-1", "pinned"), ("new-1", "auto"), ("plain-1", "default"), ("sock-1", "local")]
        path = write_env(tmp_path, model("apienv", ships, sleepers(placed)))
        ok(playbook("start", env=path))
        found = inspect_all(clean_lab)
        assert {n: (c["_ship"], c["State"]["Running"]) for n, c in found.items()} == {
            "old-1": (s1["name"], True),
            "new-1": (s2["name"], True),
            "plain-1": (s2["name"], True),
            "sock-1": (s3["name"], True),
        }
        rows = ok(playbook("status", env=path)).result("Ask every ship")["instances"]
        assert sorted((r["instance"], r["ship"], r["state"]) for r in rows) == sorted(
            (name, ship, "running") for name, ship in placed
        ), rows

        for proxy, version in ((p1, "1.40"), (p2, "1.41"), (p3, "1.41")):
            paths = proxy.paths()
            assert any(p.startswith("/v%s/containers/create" % version) for p in paths), paths
            versioned = [p for p in paths if p != "/version"]
            assert versioned and all(p.startswith("/v%s/" % version) for p in versioned), paths
        # "auto" asks the daemon first (unversioned /version); a pinned version never does.
        assert p2.paths()[0] == "/version", p2.paths()
        assert "/version" not in p1.paths() and "/version" not in p3.paths()


def test_slow_daemon_needs_a_long_timeout(clean_lab, tmp_path):
    """Every container create takes 5.5 s. With MaestroNG's 5 s the run fails, naming the
    ship; with `timeout: 30`, 60 containers over 3 ships all start (both runs at once)."""
    proxies = [SlowProxy((s["ip"], 2375), delay=DELAY, slow=CREATE) for s in clean_lab.ships]
    hasty_proxy = SlowProxy((clean_lab.ships[0]["ip"], 2375), delay=DELAY, slow=CREATE)
    try:
        names = ["slow%d" % k for k in range(1, 4)]
        ships = {name: proxied(p, s) for name, p, s in zip(names, proxies, clean_lab.ships)}
        placed = [("slow-%d" % i, names[i % 3]) for i in range(60)]
        path = write_env(tmp_path, dict(model("slow", ships, sleepers(placed)), ship_defaults={"timeout": 30}))
        hasty = {"hasty": proxied(hasty_proxy, clean_lab.ships[0], timeout=MAESTRO_TIMEOUT)}
        hasty_path = write_env(tmp_path, model("hasty", hasty, sleepers([("hasty-1", "hasty")])), "hasty.yaml")
        with ThreadPoolExecutor(2) as pool:
            slow_run = pool.submit(playbook, "start", env=path, timeout=300)
            hasty_run = pool.submit(playbook, "start", env=hasty_path)
            slow_run, hasty_run = slow_run.result(), hasty_run.result()

        failed(hasty_run)
        assert (
            "ship hasty (tcp://%s:%d) did not answer within %d s: timed out"
            % (hasty_proxy.host, hasty_proxy.port, MAESTRO_TIMEOUT)
            in hasty_run.output
        ), str(hasty_run)
        ok(slow_run)
        assert "60/60 started" in slow_run.output and "timed out" not in slow_run.output, str(slow_run)
        # Every create was held longer than MaestroNG would have waited.
        assert sum(p.delayed for p in proxies) == 60
    finally:
        for proxy in proxies + [hasty_proxy]:
            proxy.close()
    found = inspect_all(clean_lab)
    assert sum(1 for n, c in found.items() if n.startswith("slow-") and c["State"]["Running"]) == 60
    assert {found[n]["_ship"] for n, dummy in placed} == {s["name"] for s in clean_lab.ships}
    # The 5 s run's create may reach the daemon after its client gave up; it never starts.
    assert "hasty-1" not in found or not found["hasty-1"]["State"]["Running"]
    clean_lab.reset()
