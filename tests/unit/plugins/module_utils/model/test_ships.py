"""The ``ships`` and ``ship_defaults`` sections (model/ships.py): each ship's address, how its
Docker API is reached (tcp://, unix://, ssh://), TLS and its port, the API version, and
defaults merged under each ship with errors on the line the value was written on."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader, ships
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import one_instance

FOLDER = "/srv/deploy"


def read(text):
    """ships.read of a YAML text (its ``ships`` and ``ship_defaults``), the file in FOLDER."""
    doc = loader.parse_yaml(textwrap.dedent(text).lstrip("\n"), "env.yaml")
    return ships.read(doc, FileContext("env.yaml", FOLDER))


def error(text):
    with pytest.raises(MaestroError) as info:
        read(text)
    return str(info.value)


def ship(text, name="a"):
    return read(text)[name]


# ---------------------------------------------------------------- through environment.load


def test_ships_fixture(fixture_path):
    env = environment.load(fixture_path("good", "ships.yaml"), environ={})
    ships = env.ships
    folder = fixture_path("good")
    assert ships["ship1"]["ip"] == "10.0.0.1"
    assert ships["ship1"]["endpoint"] == "192.168.10.1"
    assert ships["ship1"]["docker_url"] == "tcp://192.168.10.1:2375"  # endpoint, default port
    assert ships["ship2"]["endpoint"] == "10.0.0.2"  # endpoint defaults to ip
    assert ships["ship2"]["docker_url"] == "tcp://10.0.0.2:1234"
    assert ships["ship3"]["docker_port"] == 2376  # TLS default port
    assert ships["ship3"]["tls"] is True and ships["ship3"]["tls_verify"] is False
    assert ships["ship3"]["tls_ca_cert"] == folder + "/certs/ca.pem"  # relative to the file
    assert ships["ship3"]["tls_cert"] == "/etc/docker/cert.pem"
    assert ships["ship3"]["tls_key"] == folder + "/certs/key.pem"
    assert ships["ship4"]["tls"] is True and ships["ship4"]["tls_verify"] is True
    assert ships["ship4"]["docker_url"] == "tcp://10.0.0.4:2377"
    assert ships["ship5"]["docker_url"] == "unix:///var/run/docker.sock"
    assert ships["ship5"]["timeout"] == 5  # own value beats default
    assert ships["ship6"]["ssh_tunnel"] == {"user": "deploy", "key": folder + "/keys/id_ed25519", "port": 22}
    assert ships["ship6"]["docker_url"] == "ssh://deploy@10.0.0.6:22"
    # ship_defaults apply to every ship (except what the ship sets itself)
    assert {name: s["timeout"] for name, s in ships.items()} == {
        "ship1": 30,
        "ship2": 30,
        "ship3": 30,
        "ship4": 30,
        "ship5": 5,
        "ship6": 30,
    }
    assert ships["ship1"]["api_version"] == "1.41"
    assert ships["ship6"]["api_version"] == "1.24"
    assert ships["ship1"]["name"] == "ship1"


def test_ship_defaults_without_defaults(load_env):
    env = load_env(one_instance(""))
    ship = env.ships["vm1"]
    assert ship == {
        "name": "vm1",
        "ip": "10.0.0.1",
        "endpoint": "10.0.0.1",
        "docker_port": 2375,
        "socket_path": None,
        "docker_url": "tcp://10.0.0.1:2375",
        "api_version": None,
        "timeout": 60,  # deliberate: MaestroNG's 5 s was too short
        "ssh_timeout": None,
        "ssh_tunnel": None,
        "tls": False,
        "tls_verify": False,
        "tls_ca_cert": None,
        "tls_cert": None,
        "tls_key": None,
    }


def test_ship_defaults_tls_and_ports(load_env):
    env = load_env("""\
        name: defaults
        ship_defaults: {tls: true, ssh_tunnel: {user: ops, key: /k, port: 2222}}
        ships:
          a: {ip: 10.0.0.1}
          b: {ip: 10.0.0.2, docker_port: 2375, tls: false}
        services:
          s: {image: x, instances: {s-1: {ship: a}}}
        """)
    assert env.ships["a"]["docker_url"] == "ssh://ops@10.0.0.1:2222"  # reached through the tunnel
    assert env.ships["a"]["docker_port"] == 2376  # ... to this port on the ship
    assert env.ships["a"]["ssh_tunnel"] == {"user": "ops", "key": "/k", "port": 2222}
    assert env.ships["b"]["tls"] is False
    assert env.ships["b"]["docker_url"] == "ssh://ops@10.0.0.2:2222"
    assert env.ships["b"]["docker_port"] == 2375
    assert env.ships["b"]["ssh_tunnel"]["user"] == "ops"


def test_ship_default_error_points_at_ship_defaults(load_error):
    assert (
        load_error("""\
        name: defaults
        ship_defaults:
          timeout: soon
        ships:
          a: {ip: 10.0.0.1}
        services:
          s: {image: x, instances: {s-1: {ship: a}}}
        """)
        == "env.yaml:3: ship_defaults.timeout: must be a number, got 'soon'"
    )


# ---------------------------------------------------------------- the section


def test_ships_in_the_files_order_named_as_text():
    found = read("""
        ships:
          zeta: {ip: 10.0.0.3}
          1: {ip: 10.0.0.1}
          alpha: {ip: 10.0.0.2}
        """)
    assert list(found) == ["zeta", "1", "alpha"]
    assert found["1"]["name"] == "1"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\n", "line 1: ships: is required"),
        ("ships:\n", "line 1: ships: must be a mapping, got nothing"),
        ("ships: {}\n", "line 1: ships: must define at least one ship"),
        ("ships: [vm1]\n", "line 1: ships: must be a mapping, got a list"),
        ("ships:\n  vm1: 10.0.0.1\n", "line 2: ships.vm1: must be a mapping, got a string"),
        ("ships:\n  vm1: {endpoint: h}\n", "line 2: ships.vm1.ip: is required"),
        ("ships:\n  vm1: {ip: ''}\n", "line 2: ships.vm1.ip: must not be empty"),
        ("ships:\n  vm1: {ip: 1, tsl: true}\n", "line 2: ships.vm1.tsl: unknown ship key 'tsl' (did you mean 'tls'?)"),
        ("ships:\n  vm1: {ip: 1, docker_port: 0}\n", "line 2: ships.vm1.docker_port: must be at least 1, got 0"),
        ("ships:\n  vm1: {ip: 1, tls: 'yes'}\n", "line 2: ships.vm1.tls: must be true or false, got 'yes'"),
        ("ships:\n  vm1: {ip: 1, timeout: 0}\n", "line 2: ships.vm1.timeout: must be more than 0 seconds"),
        ("ships:\n  vm1: {ip: 1, ssh_timeout: -1}\n", "line 2: ships.vm1.ssh_timeout: must not be negative, got -1"),
    ],
)
def test_section_errors(text, message):
    assert error(text) == message


def test_ip_may_be_a_number():
    assert ship("ships:\n  a: {ip: 10}\n")["ip"] == "10"


# ---------------------------------------------------------------- how the API is reached


@pytest.mark.parametrize(
    "settings, url, port",
    [
        ("", "tcp://10.0.0.1:2375", 2375),
        ("endpoint: docker1.internal", "tcp://docker1.internal:2375", 2375),
        ("docker_port: 4243", "tcp://10.0.0.1:4243", 4243),
        ("tls: true", "tcp://10.0.0.1:2376", 2376),  # TLS has its own default port
        ("tls_verify: true", "tcp://10.0.0.1:2376", 2376),
        ("tls: true, docker_port: 2375", "tcp://10.0.0.1:2375", 2375),
        ("socket_path: /run/docker.sock", "unix:///run/docker.sock", 2375),
        ("ssh_tunnel: {user: ops, key: /k}", "ssh://ops@10.0.0.1:22", 2375),
        ("endpoint: bastion, ssh_tunnel: {user: ops, key: /k, port: 2222}", "ssh://ops@bastion:2222", 2375),
        # the tunnel leads to the socket on the ship: the URL is the tunnel's
        ("socket_path: /run/docker.sock, ssh_tunnel: {user: ops, key: /k}", "ssh://ops@10.0.0.1:22", 2375),
    ],
)
def test_url_forms(settings, url, port):
    found = ship("ships:\n  a: {ip: 10.0.0.1%s}\n" % (", " + settings if settings else ""))
    assert (found["docker_url"], found["docker_port"]) == (url, port)


def test_tls_verify_implies_tls():
    found = ship("ships:\n  a: {ip: 10.0.0.1, tls: false, tls_verify: true}\n")
    assert (found["tls"], found["tls_verify"]) == (True, True)


def test_certificate_and_key_paths_start_at_the_files_folder():
    found = ship("""
        ships:
          a: {ip: 10.0.0.1, tls: true, tls_ca_cert: certs/ca.pem, tls_cert: /etc/cert.pem, ssh_tunnel: {user: u, key: k}}
        """)
    assert found["tls_ca_cert"] == FOLDER + "/certs/ca.pem"
    assert found["tls_cert"] == "/etc/cert.pem"
    assert found["tls_key"] is None
    assert found["ssh_tunnel"] == {"user": "u", "key": FOLDER + "/k", "port": 22}


@pytest.mark.parametrize(
    "tunnel, message",
    [
        ("{key: /k}", "line 2: ships.a.ssh_tunnel.user: is required"),
        ("{user: ops}", "line 2: ships.a.ssh_tunnel.key: is required"),
        ("{user: ops, key: /k, port: 0}", "line 2: ships.a.ssh_tunnel.port: must be at least 1, got 0"),
        (
            "{user: ops, key: /k, prot: 22}",
            "line 2: ships.a.ssh_tunnel.prot: unknown ssh_tunnel key 'prot' (did you mean 'port'?)",
        ),
        ("ops@host", "line 2: ships.a.ssh_tunnel: must be a mapping, got a string"),
    ],
)
def test_ssh_tunnel_errors(tunnel, message):
    assert error("ships:\n  a: {ip: 10.0.0.1, ssh_tunnel: %s}\n" % tunnel) == message


# ---------------------------------------------------------------- the API version


@pytest.mark.parametrize(
    "written, kept",
    [
        ('"1.41"', "1.41"),
        ('"1.24"', "1.24"),  # the oldest the docker SDK speaks
        ("1.41", "1.41"),  # a number, but read back as the same text
        ("auto", "auto"),
        ("null", None),
    ],
)
def test_api_version_accepted(written, kept):
    assert ship("ships:\n  a: {ip: 10.0.0.1, api_version: %s}\n" % written)["api_version"] == kept


@pytest.mark.parametrize(
    "written, message",
    [
        ('"1.23"', "the docker SDK speaks API 1.24 and later; got 1.23"),
        ("1.18", "the docker SDK speaks API 1.24 and later; got 1.18"),
        ("1.40", "quote it: YAML reads 1.40 as the number 1.4"),
        ("1.50", "quote it: YAML reads 1.50 as the number 1.5"),
        ('"1.4"', "the docker SDK speaks API 1.24 and later; got 1.4"),  # quoted: taken as written
        ("v1.41", "must be a Docker API version such as \"1.41\", or auto; got 'v1.41'"),
        ('"2.0"', "must be a Docker API version such as \"1.41\", or auto; got '2.0'"),
        ("latest", "must be a Docker API version such as \"1.41\", or auto; got 'latest'"),
    ],
)
def test_api_version_refused(written, message):
    assert (
        error("ships:\n  a: {ip: 10.0.0.1, api_version: %s}\n" % written) == "line 2: ships.a.api_version: " + message
    )


def test_check_api_version_directly():
    ships._check_api_version("1.44", {"api_version": "1.44"}, ("ships", "a"))
    with pytest.raises(MaestroError) as info:
        ships._check_api_version("1.2", {"api_version": 1.2}, ("ship_defaults",))
    assert str(info.value) == "ship_defaults.api_version: quote it: YAML reads 1.20 as the number 1.2"


# ---------------------------------------------------------------- ship_defaults


def test_defaults_apply_under_what_each_ship_sets():
    found = read("""
        ship_defaults: {timeout: 20, ssh_timeout: 4, api_version: "1.41", tls: true, tls_ca_cert: ca.pem}
        ships:
          a: {ip: 10.0.0.1}
          b: {ip: 10.0.0.2, timeout: 5, api_version: auto, tls: false, tls_ca_cert: /b/ca.pem}
        """)
    assert {
        name: (s["timeout"], s["ssh_timeout"], s["api_version"], s["tls"], s["tls_ca_cert"], s["docker_port"])
        for name, s in found.items()
    } == {
        "a": (20, 4, "1.41", True, FOLDER + "/ca.pem", 2376),
        "b": (5, 4, "auto", False, "/b/ca.pem", 2375),
    }


def test_defaults_ssh_tunnel_is_replaced_whole_not_merged():
    found = read("""
        ship_defaults: {ssh_tunnel: {user: ops, key: /k, port: 2222}}
        ships:
          a: {ip: 10.0.0.1, ssh_tunnel: {user: root, key: /root.key}}
        """)
    assert found["a"]["ssh_tunnel"] == {"user": "root", "key": "/root.key", "port": 22}


def test_defaults_must_be_a_mapping():
    assert (
        error("ship_defaults: [tls]\nships:\n  a: {ip: 1}\n") == "line 1: ship_defaults: must be a mapping, got a list"
    )


@pytest.mark.parametrize(
    "key, message",
    [
        ("ip", "unknown ship_defaults key 'ip' (set it on each ship, not in ship_defaults)"),
        ("endpoint", "unknown ship_defaults key 'endpoint' (set it on each ship, not in ship_defaults)"),
        ("timout", "unknown ship_defaults key 'timout' (did you mean 'timeout'?)"),
    ],
)
def test_defaults_keys(key, message):
    assert error("ship_defaults:\n  %s: 1\nships:\n  a: {ip: 1}\n" % key) == "line 2: ship_defaults.%s: %s" % (
        key,
        message,
    )


@pytest.mark.parametrize(
    "text, message",
    [
        # a bad default is reported at ship_defaults, on its own line, whichever ship reads it first
        (
            "ship_defaults:\n  tls: true\n  api_version: '1.2'\nships:\n  a: {ip: 1}\n",
            "line 3: ship_defaults.api_version: the docker SDK speaks API 1.24 and later; got 1.2",
        ),
        (
            "ship_defaults:\n  ssh_tunnel: {user: ops}\nships:\n  a: {ip: 1}\n",
            "line 2: ship_defaults.ssh_tunnel.key: is required",
        ),
        (
            "ship_defaults:\n  timeout: 0\nships:\n  a: {ip: 1}\n",
            "line 2: ship_defaults.timeout: must be more than 0 seconds",
        ),
        # ... and a bad value of the ship itself at the ship, though a good default exists
        (
            "ship_defaults:\n  timeout: 10\nships:\n  a: {ip: 1}\n  b:\n    ip: 2\n    timeout: soon\n",
            "line 7: ships.b.timeout: must be a number, got 'soon'",
        ),
    ],
)
def test_errors_point_at_where_the_value_was_written(text, message):
    assert error(text) == message


def test_a_null_on_a_ship_takes_ship_defaults(load_env):
    """``timeout:`` with no value on a ship is no value: ship_defaults' applies, as for a key left out."""
    env = load_env("""\
        name: nulls
        ship_defaults: {timeout: 30, tls: true, ssh_tunnel: {user: ops, key: /k}}
        ships:
          a: {ip: 10.0.0.1, timeout: null, tls: null, ssh_tunnel: null}
        services:
          s: {image: x, instances: {s-1: {ship: a}}}
        """)
    ship = env.ships["a"]
    assert (ship["timeout"], ship["tls"], ship["docker_port"]) == (30, True, 2376)
    assert ship["ssh_tunnel"] == {"user": "ops", "key": "/k", "port": 22}
