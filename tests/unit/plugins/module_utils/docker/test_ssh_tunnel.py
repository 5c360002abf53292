"""The ssh command line of a ship's tunnel (pure logic; tests/integration/test_ssh.py runs
real tunnels against a real sshd)."""

from ansible_collections.maestro.ng.plugins.module_utils.docker import ssh_tunnel


def ship(**extra):
    base = {
        "name": "vm1",
        "ip": "10.0.0.1",
        "endpoint": "admin1",
        "docker_port": 2375,
        "socket_path": None,
        "ssh_timeout": None,
        "ssh_tunnel": {"user": "ops", "key": "/keys/ops", "port": 2222},
    }
    base.update(extra)
    return base


def command(ship_dict, port=40000):
    return ssh_tunnel._Tunnel(ssh_tunnel.route_of(ship_dict), ship_dict["ssh_timeout"], probe=True).command(port)


def option(argv, name):
    return [
        argv[i + 1].split("=", 1)[1]
        for i, word in enumerate(argv[:-1])
        if word == "-o" and argv[i + 1].startswith(name + "=")
    ]


def test_forward_to_the_daemon_port_on_the_ships_loopback(monkeypatch):
    monkeypatch.delenv(ssh_tunnel.EXTRA_ARGS_VAR, raising=False)
    argv = command(ship())
    assert argv[0] == "ssh" and argv[-2:] == ["--", "admin1"]  # the endpoint, as MaestroNG
    assert argv[argv.index("-L") + 1] == "127.0.0.1:40000:127.0.0.1:2375"
    assert argv[argv.index("-p") + 1] == "2222" and argv[argv.index("-l") + 1] == "ops"
    assert argv[argv.index("-i") + 1] == "/keys/ops" and option(argv, "IdentitiesOnly") == ["yes"]
    assert option(argv, "BatchMode") == ["yes"] and option(argv, "ExitOnForwardFailure") == ["yes"]
    assert option(argv, "ControlMaster") == ["no"] and option(argv, "ControlPath") == ["none"]
    assert option(argv, "StrictHostKeyChecking") == ["accept-new"]
    assert option(argv, "ConnectTimeout") == [str(ssh_tunnel.DEFAULT_CONNECT_TIMEOUT)]
    assert "-N" in argv
    # ssh runs the LocalCommand only once the forward listens: the readiness signal.
    assert option(argv, "PermitLocalCommand") == ["yes"]
    assert option(argv, "LocalCommand") == ["echo " + ssh_tunnel.READY]


def test_socket_path_is_forwarded_as_a_unix_socket_and_ssh_timeout_used():
    argv = command(ship(socket_path="/run/docker.sock", ssh_timeout=3))
    assert argv[argv.index("-L") + 1] == "127.0.0.1:40000:/run/docker.sock"
    assert option(argv, "ConnectTimeout") == ["3"]


def test_extra_args_come_first_so_their_options_win(monkeypatch):
    monkeypatch.setenv(ssh_tunnel.EXTRA_ARGS_VAR, "-o StrictHostKeyChecking=yes -o 'ProxyJump=me@bastion'")
    argv = command(ship())
    assert argv[1:5] == ["-o", "StrictHostKeyChecking=yes", "-o", "ProxyJump=me@bastion"]
    assert option(argv, "StrictHostKeyChecking")[0] == "yes"


def test_no_key_leaves_identities_to_ssh():
    argv = command(ship(ssh_tunnel={"user": "ops", "key": None, "port": 22}))
    assert "-i" not in argv and not option(argv, "IdentitiesOnly")
    assert ssh_tunnel.describe(ship()) == "ssh://ops@admin1:2222"


def test_connect_timeout_is_whole_seconds_never_zero():
    assert option(command(ship(ssh_timeout=0.2)), "ConnectTimeout") == ["1"]
    assert option(command(ship(ssh_timeout=2.5)), "ConnectTimeout") == ["3"]
