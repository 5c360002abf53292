"""Ships reached over SSH, against a real sshd run in a lab ship's network namespace
(tests/integration/helpers/sshd.py):

* `ssh_tunnel` ships: the controller talks to the ship's dockerd through `ssh -L`, to the
  daemon's port on the ship's loopback (MaestroNG's setup; a relay stands in for a daemon
  listening there) or to its unix socket (`socket_path`);
* `connection: ssh` in the inventory plugin: maestro.ng.container runs on the ship itself,
  over SSH, against the ship's own socket.

Known hosts go to a file of the test (MAESTRO_SSH_ARGS, ANSIBLE_SSH_ARGS), never to ~/.ssh.
"""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.envs import IMAGE, REPO, SERVE, TRACEBACK, ansible_playbook, inspect_all, playbook, write_env

sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.docker import client as docker_client  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.docker import ssh_tunnel  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.model import environment  # noqa: E402


@pytest.fixture
def known_hosts(tmp_path, monkeypatch):
    path = tmp_path / "known_hosts"
    monkeypatch.setenv("MAESTRO_SSH_ARGS", "-o UserKnownHostsFile=%s" % path)
    return path


def tunnels_of(key):
    """Pids of live `ssh -L` processes using this key (ours: the key is the test's)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0] == b"ssh" and b"-L" in argv and str(key).encode() in argv:
            found.append(int(proc.name))
    return found


def web(ship, port):
    return {"ship": ship, "command": ["sh", "-c", SERVE], "ports": {"http": "8080:%d" % port}, "stop_timeout": 1}


def tunnel_env(sshd, ships, instances, name="sshtest"):
    return {
        "__maestro": {"schema": 2},
        "name": name,
        "ship_defaults": {"timeout": 10, "ssh_tunnel": {"user": "root", "key": str(sshd.key)}},
        "ships": ships,
        "services": {
            "web": {
                "image": IMAGE,
                "env": {"PORT": 8080},
                "lifecycle": {"running": [{"type": "tcp", "port": "http", "max_wait": 10}]},
                "instances": instances,
            }
        },
    }


# --------------------------------------------------------------------------- ssh_tunnel
def test_start_status_through_ssh_tunnels(clean_lab, sshd, known_hosts, tmp_path):
    ships = {
        "loopback": {"ip": sshd.ip},  # to 127.0.0.1:2375 there
        "socket": {"ip": sshd.ip, "socket_path": sshd.ship["socket"]},
    }  # to its unix socket
    instances = {"web-1": web("loopback", 38181), "web-2": web("socket", 38182)}
    path = write_env(tmp_path, tunnel_env(sshd, ships, instances))
    run = playbook("start", env=path)
    assert run.rc == 0 and TRACEBACK not in run.output, str(run)
    found = inspect_all(clean_lab, ships=[2])
    assert {n: c["State"]["Running"] for n, c in found.items()} == {"web-1": True, "web-2": True}
    env = dict(e.split("=", 1) for e in found["web-2"]["Config"]["Env"])
    assert env["WEB_WEB_1_HOST"] == sshd.ip  # the ship's ip, not the tunnel's local end
    # accept-new: the unknown ship's host key was trusted and recorded.
    assert (
        subprocess.run(
            ["ssh-keygen", "-F", sshd.ip, "-f", str(known_hosts)], capture_output=True, check=False
        ).returncode
        == 0
    )

    run = playbook("start", env=path)
    assert run.rc == 0 and run.recap.get("changed") == 0, str(run)
    rows = playbook("status", env=path).result("Ask every ship")["instances"]
    assert {r["instance"]: (r["ship"], r["state"]) for r in rows} == {
        "web-1": ("loopback", "running"),
        "web-2": ("socket", "running"),
    }, rows
    # Each task's worker ended its tunnels when it exited.
    assert tunnels_of(sshd.key) == []


def test_one_tunnel_per_ship_per_process(sshd, known_hosts, tmp_path, monkeypatch):
    path = write_env(tmp_path, tunnel_env(sshd, {"loopback": {"ip": sshd.ip}}, {"web-1": web("loopback", 1)}))
    ship = environment.load(str(path)).ships["loopback"]
    assert ship["docker_url"] == "ssh://root@%s:22" % sshd.ip
    # The first free port picked is taken before ssh binds it (by a listener that accepts
    # and never answers): ssh must fail on it, and the next port be used.
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    ports = [squatter.getsockname()[1]]
    real_free_port = ssh_tunnel._free_port

    def free_port():
        ports.append(real_free_port())
        return ports.pop(0)

    monkeypatch.setattr(ssh_tunnel, "_free_port", free_port)
    try:
        client = docker_client.connect(ship)
        assert client.ping() and docker_client.connect(dict(ship)) is client
        assert len(tunnels_of(sshd.key)) == 1
        assert client.base_url != "http://127.0.0.1:%d" % squatter.getsockname()[1]
        assert client.base_url.startswith("http://127.0.0.1:")
    finally:
        squatter.close()
        ssh_tunnel.close_all()
        docker_client._clients.clear()
    assert tunnels_of(sshd.key) == []


def test_tunnel_failures_name_the_ship(sshd, known_hosts, tmp_path):
    bad_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(bad_key)], check=True)
    ships = {
        "noport": {"ip": sshd.ip, "ssh_tunnel": {"user": "root", "key": str(sshd.key), "port": 2200}},
        "wrongkey": {"ip": sshd.ip, "ssh_tunnel": {"user": "root", "key": str(bad_key)}},
        "nokey": {"ip": sshd.ip, "ssh_tunnel": {"user": "root", "key": "missing_key"}},
        "nodaemon": {"ip": sshd.ip, "docker_port": 2399},
        "nosocket": {"ip": sshd.ip, "socket_path": "/run/no-such-docker.sock"},
    }
    path = write_env(tmp_path, tunnel_env(sshd, ships, {"web-1": web("noport", 1)}))
    model = environment.load(str(path)).ships
    url = "ssh://root@%s:22" % sshd.ip
    expected = {
        "noport": "ship noport (ssh://root@%s:2200) is unreachable: ssh tunnel failed (exit 255): "
        "ssh: connect to host %s port 2200: Connection refused" % (sshd.ip, sshd.ip),
        "wrongkey": "ship wrongkey (%s) is unreachable: ssh tunnel failed (exit 255): "
        "root@%s: Permission denied (publickey)." % (url, sshd.ip),
        "nokey": "ship nokey (%s) is unreachable: ssh_tunnel.key %s: no such file" % (url, tmp_path / "missing_key"),
        "nodaemon": "ship nodaemon (%s) is unreachable: ssh tunnel is up, but nothing answers at "
        "127.0.0.1:2399 on the ship" % url,
        "nosocket": "ship nosocket (%s) is unreachable: ssh tunnel is up, but nothing answers at "
        "/run/no-such-docker.sock on the ship" % url,
    }
    try:
        for name, message in expected.items():
            with pytest.raises(docker_client.ShipUnreachable) as caught:
                docker_client.connect(model[name])
            assert str(caught.value) == message
        # A ship whose host key changed is refused (the known key is another one).
        other = Path(str(bad_key) + ".pub").read_text().split()[:2]
        known_hosts.write_text("%s %s\n" % (sshd.ip, " ".join(other)))
        with pytest.raises(docker_client.ShipUnreachable) as caught:
            docker_client.connect(environment.load(str(path)).ships["nodaemon"])
        assert str(caught.value) == (
            "ship nodaemon (%s) is unreachable: ssh tunnel failed (exit 255): Host key verification failed." % url
        )
    finally:
        ssh_tunnel.close_all()
        docker_client._clients.clear()
    assert tunnels_of(sshd.key) == [] and tunnels_of(bad_key) == []

    # The same, through a playbook: one line naming the ship, no traceback.
    run = playbook("start", env=path)
    assert run.rc != 0 and TRACEBACK not in run.output, str(run)
    assert expected["noport"] in run.output, str(run)


def test_service_role_through_a_tunnel(clean_lab, sshd, known_hosts, tmp_path):
    """The inventory's default local connection: maestro.ng.container (in the controller's
    worker) reaches the ship through the ssh_tunnel the inventory hands it."""
    write_env(tmp_path, tunnel_env(sshd, {"tunnelled": {"ip": sshd.ip}}, {"web-1": web("tunnelled", 38184)}))
    (tmp_path / "site.yml").write_text(
        "- hosts: web\n  gather_facts: false\n  roles: [{role: maestro.ng.service, maestro_service: web}]\n"
    )
    rc, out = ansible_playbook("-i", "env.yaml", "site.yml", cwd=tmp_path, timeout=120)
    assert rc == 0 and TRACEBACK not in out, out
    assert re.search(r"^tunnelled\s*:\s*ok=\d+\s+changed=1\s+unreachable=0\s+failed=0", out, re.M), out
    assert inspect_all(clean_lab, ships=[2])["web-1"]["State"]["Running"], out
    assert tunnels_of(sshd.key) == []


# --------------------------------------------------------------------------- connection: ssh
SITE = """\
- hosts: web
  gather_facts: false
  tasks:
    - name: Where the tasks run
      ansible.builtin.command: ip -o -4 addr show dev eth0
      register: where
      changed_when: false
    - name: On the ship itself, in its network namespace
      ansible.builtin.assert:
        that: where.stdout is search(' ' ~ ansible_host ~ '/')
    - name: Converge web on this ship
      ansible.builtin.include_role:
        name: maestro.ng.service
      vars:
        maestro_service: web
"""


def test_module_runs_on_the_ship_over_ssh(clean_lab, sshd, tmp_path):
    # The lab's other ships are not in this environment: only the sshd ship is a host.
    ships = {"remote": {"ip": sshd.ip}}
    write_env(tmp_path, tunnel_env(sshd, ships, {"web-1": web("remote", 38183)}))
    (tmp_path / "maestro.yml").write_text(
        "plugin: maestro.ng.maestro\n"
        "environment: env.yaml\n"
        "connection: ssh\n"
        "ssh_docker_url: unix://%s\n"
        "compose:\n"
        "  ansible_python_interpreter: \"'%s'\"\n" % (sshd.ship["socket"], REPO / ".venv" / "bin" / "python")
    )
    (tmp_path / "site.yml").write_text(SITE)
    # Pipelining and a short-lived master connection: one ssh login for the whole run.
    environ = dict(
        ANSIBLE_PIPELINING="1",
        ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=2 -o UserKnownHostsFile=/dev/null",
    )

    def site():
        rc, out = ansible_playbook("-i", "maestro.yml", "site.yml", cwd=tmp_path, environ=environ, timeout=120)
        assert rc == 0 and TRACEBACK not in out, out
        return out

    out = site()
    assert re.search(r"^remote\s*:\s*ok=\d+\s+changed=1\s+unreachable=0\s+failed=0", out, re.M), out
    found = inspect_all(clean_lab, ships=[2])
    assert found["web-1"]["State"]["Running"], out
    out = site()
    assert re.search(r"^remote\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", out, re.M), out
    assert inspect_all(clean_lab, ships=[2])["web-1"]["Id"] == found["web-1"]["Id"]
