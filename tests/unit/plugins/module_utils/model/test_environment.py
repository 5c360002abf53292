"""Ships, services -> instances inheritance, and the container settings."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import environment


def one_instance(extra, schema=2, service_extra=""):
    """An environment with one service `app` and one instance `app-1` on `vm1`."""
    lines = ["        " + line for line in extra.strip("\n").splitlines()] if extra.strip() else []
    service_lines = ["    " + line for line in service_extra.strip("\n").splitlines()] if service_extra.strip() else []
    return (
        "\n".join(
            [
                "__maestro: {schema: %d}" % schema,
                "name: settings",
                "ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}",
                "services:",
                "  app:",
                "    image: app:1",
            ]
            + service_lines
            + [
                "    instances:",
                "      app-1:",
                "        ship: vm1",
            ]
            + lines
        )
        + "\n"
    )


# ---------------------------------------------------------------- ships


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


# ---------------------------------------------------------------- inheritance


def test_service_to_instance_inheritance(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    zk = env.instances
    assert zk["zk-1"]["image"] == "zookeeper:3.8"
    assert env.instances["kafka-2"]["image"] == "registry.example.com:5000/kafka:3.7"  # override
    assert env.instances["kafka-1"]["image"] == "registry.example.com:5000/kafka:3.6"
    # lifecycle: the service's checks, plus the instance's own, never another instance's
    assert zk["zk-1"]["lifecycle"] == {"running": [{"type": "tcp", "port": 2181, "host": "10.0.0.1", "max_wait": 30}]}
    assert zk["zk-3"]["lifecycle"] == {
        "running": [
            {"type": "tcp", "port": 2182, "host": "10.0.0.3", "max_wait": 30},  # its own client port
            {"type": "sleep", "wait": 1},
        ]
    }
    assert zk["zk-2"]["lifecycle"] == {"running": [{"type": "tcp", "port": 2181, "host": "10.0.0.2", "max_wait": 30}]}


def test_instance_lifecycle_does_not_leak(load_env):
    # MaestroNG bug: instance checks were appended to the service's shared list.
    env = load_env("""\
        name: leak
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          app:
            image: app
            lifecycle:
              running: [{type: sleep, wait: 1}]
            instances:
              app-1:
                ship: vm1
                lifecycle:
                  running: [{type: sleep, wait: 2}]
                  stopped: [{type: exec, command: "echo bye"}]
              app-2: {ship: vm1}
              app-3:
                ship: vm1
                lifecycle: {running: [{type: sleep, wait: 3}]}
        """)
    waits = {
        name: [c.get("wait") for c in inst["lifecycle"].get("running", [])] for name, inst in env.instances.items()
    }
    assert waits == {"app-1": [1, 2], "app-2": [1], "app-3": [1, 3]}
    assert list(env.instances["app-2"]["lifecycle"]) == ["running"]
    assert env.instances["app-1"]["lifecycle"]["stopped"] == [{"type": "exec", "command": "echo bye", "attempts": 180}]


def test_check_defaults(load_env):
    env = load_env(
        one_instance("""\
ports: {http: "80:8080", admin: 9000}
lifecycle:
  pre-start: [{type: exec, command: ./prepare.sh, attempts: 2}]
  running:
    - {type: tcp, port: admin}
    - {type: http, port: http}
    - {type: http, port: 8081, host: example.com, path: /up, scheme: https, method: head, max_wait: 5}
    - {type: rexec, command: "pg_isready"}
  pre-stop: [{type: sleep, wait: 0.5}]
  stopped: []
""")
    )
    assert env.instances["app-1"]["lifecycle"] == {
        "pre-start": [{"type": "exec", "command": "./prepare.sh", "attempts": 2}],
        "running": [
            {"type": "tcp", "port": 9000, "host": "10.0.0.1", "max_wait": 180},
            {
                "type": "http",
                "port": 8080,
                "host": "10.0.0.1",
                "path": "/",
                "scheme": "http",
                "method": "GET",
                "match_regex": None,
                "max_wait": 300,
            },
            {
                "type": "http",
                "port": 8081,
                "host": "example.com",
                "path": "/up",
                "scheme": "https",
                "method": "HEAD",
                "match_regex": None,
                "max_wait": 5,
            },
            {"type": "rexec", "command": "pg_isready", "attempts": 180},
        ],
        "pre-stop": [{"type": "sleep", "wait": 0.5}],
    }


def test_tcp_check_needs_a_named_port(load_error):
    assert (
        load_error(
            one_instance("""\
ports: {http: 80}
lifecycle:
  running: [{type: tcp, port: 80}]
""")
        )
        == "env.yaml:12: services.app.instances.app-1.lifecycle.running.0.port: unknown port 80 for instance app-1 (known: http)"
    )


def test_check_unknown_option_has_hint(load_error):
    assert (
        load_error(
            one_instance("""\
lifecycle:
  running: [{type: sleep, wiat: 3}]
""")
        )
        == "env.yaml:11: services.app.instances.app-1.lifecycle.running.0.wiat: unknown sleep check key 'wiat' (did you mean 'wait'?)"
    )


def test_requires_as_a_string_is_one_service(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    assert env.services["web"]["requires"] == ["kafka"]  # written `requires: kafka`


# ---------------------------------------------------------------- volumes


def test_volumes_schema_2(fixture_path):
    env = environment.load(fixture_path("good", "volumes.yaml"), environ={})
    assert env.schema == 2
    one, two = env.instances["instance-1"], env.instances["instance-2"]
    assert one["volumes"] == [
        {"source": "/out", "target": "/in1", "mode": "rw"},
        {"source": "/etc/ssl/certs", "target": "/certs", "mode": "ro"},
    ]
    assert one["container_volumes"] == ["/in2"]
    assert two["volumes"] == [{"source": "/out", "target": "/in3", "mode": "rw"}]
    assert two["volumes_from"] == ["instance-1"]


def test_volumes_schema_1_reads_container_host(fixture_path):
    env = environment.load(fixture_path("good", "volumes_schema1.yaml"), environ={})
    assert env.schema == 1  # MaestroNG's default
    inst = env.instances["instance-1"]
    assert inst["volumes"] == [
        {"source": "/out", "target": "/in1", "mode": "rw"},
        {"source": "/srv/data", "target": "/data", "mode": "rw"},
    ]
    assert inst["container_volumes"] == ["/scratch"]  # a single path is a list of one


@pytest.mark.parametrize("meta", ["{schema: 2}", "{schema: {version: 2}}"])
def test_schema_spellings(load_env, meta):
    env = load_env(one_instance("volumes: {/host: /container}").replace("{schema: 2}", meta))
    assert env.schema == 2
    assert env.instances["app-1"]["volumes"] == [{"source": "/host", "target": "/container", "mode": "rw"}]


def test_schema_1_explicit(load_env):
    env = load_env(one_instance("volumes: {/container: /host}", schema=1))
    assert env.instances["app-1"]["volumes"] == [{"source": "/host", "target": "/container", "mode": "rw"}]


def test_volume_mode_default_and_target_form(load_env):
    env = load_env(one_instance("volumes: {/a: {target: /b}, /c: {target: /d, mode: 'ro,Z'}}"))
    assert env.instances["app-1"]["volumes"] == [
        {"source": "/a", "target": "/b", "mode": "rw"},
        {"source": "/c", "target": "/d", "mode": "ro,Z"},
    ]


def test_volumes_from_same_ship_shares_nothing_mounted_twice(fixture_path):
    env = environment.load(fixture_path("good", "volumes.yaml"), environ={})
    assert env.instances["instance-2"]["volumes_from"] == ["instance-1"]


# ---------------------------------------------------------------- restart


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", ("no", 0)),  # not given
        ("restart: no", ("no", 0)),  # bare `no` is YAML false
        ("restart: 'no'", ("no", 0)),
        ("restart: false", ("no", 0)),
        ("restart: always", ("always", 0)),
        ("restart: unless-stopped", ("unless-stopped", 0)),
        ("restart: on-failure", ("on-failure", 0)),
        ("restart: 'on-failure:3'", ("on-failure", 3)),
        ("restart: {name: on-failure, retries: 5}", ("on-failure", 5)),
        ("restart: {name: on-failure, maximum_retry_count: 2}", ("on-failure", 2)),
        ("restart: {name: always}", ("always", 0)),
    ],
)
def test_restart(load_env, value, expected):
    env = load_env(one_instance(value))
    restart = env.instances["app-1"]["restart"]
    assert (restart["name"], restart["maximum_retry_count"]) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("restart: true", "must be a policy name or {name, retries}, got a boolean"),
        ("restart: [always]", "must be a policy name or {name, retries}, got a list"),
        ("restart: {retries: 3}", None),
        ("restart: {name: on-failure, tries: 3}", "unknown restart key 'tries' (name, retries)"),
        ("restart: 'always:2'", "a retry count only applies to on-failure"),
    ],
)
def test_restart_errors(load_error, value, message):
    text = load_error(one_instance(value))
    if message is None:
        assert text == "env.yaml:10: services.app.instances.app-1.restart.name: is required"
    else:
        assert text == "env.yaml:10: services.app.instances.app-1.restart: " + message


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "memory, expected",
    [
        (1024, 1024),
        ("'2048'", 2048),
        ("512k", 512 * 1024),
        ("512K", 512 * 1024),
        ("256m", 256 * 1024**2),
        ("2g", 2 * 1024**3),
        ("2G", 2 * 1024**3),
        ("1gb", 1024**3),
    ],
)
def test_limit_sizes(load_env, memory, expected):
    env = load_env(one_instance("limits: {memory: %s, swap: 1g, cpu: 256}" % memory))
    assert env.instances["app-1"]["limits"] == {"cpu_shares": 256, "memory": expected, "memswap": 1024**3}


def test_service_limits_inherited_and_overridden_per_key(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    assert env.instances["zk-1"]["limits"] == {"cpu_shares": 512, "memory": 1024**3, "memswap": 2 * 1024**3}
    assert env.instances["zk-2"]["limits"] == {"cpu_shares": 512, "memory": 512 * 1024**2, "memswap": 2 * 1024**3}
    assert env.instances["kafka-1"]["limits"] == {"cpu_shares": None, "memory": None, "memswap": None}


@pytest.mark.parametrize("limits", ["{memory: 1t}", "{memory: -1m}", "{memory: m}", "{swap: 1.5g}"])
def test_limit_size_errors(load_error, limits):
    message = load_error(one_instance("limits: %s" % limits))
    assert message.startswith("env.yaml:10: services.app.instances.app-1.limits.")
    assert "must be a size in bytes or with a k/m/g suffix" in message


def test_cpu_must_be_an_integer(load_error):
    assert (
        load_error(one_instance("", service_extra="limits: {cpu: lots}"))
        == "env.yaml:7: services.app.limits.cpu: must be an integer, got 'lots'"
    )


# ---------------------------------------------------------------- ulimits, labels


def test_ulimits(load_env):
    env = load_env(
        one_instance("ulimits: {nofile: 65536, nproc: {soft: 1024, hard: 2048}, core: {hard: 0}, memlock: {soft: -1}}")
    )
    assert env.instances["app-1"]["ulimits"] == [
        {"name": "nofile", "soft": 65536, "hard": 65536},
        {"name": "nproc", "soft": 1024, "hard": 2048},
        {"name": "core", "soft": 0, "hard": 0},
        {"name": "memlock", "soft": -1, "hard": -1},
    ]


@pytest.mark.parametrize(
    "ulimits, message",
    [
        ("{nofile: {}}", "ulimits.nofile: needs soft and/or hard"),
        ("{nofile: {soft: 1, max: 2}}", "ulimits.nofile: unknown ulimit key 'max' (soft, hard)"),
        ("{nofile: {soft: many}}", "ulimits.nofile.soft: must be an integer, got 'many'"),
        ("[nofile]", "ulimits: must be a mapping, got a list"),
    ],
)
def test_ulimit_errors(load_error, ulimits, message):
    assert load_error(one_instance("ulimits: %s" % ulimits)) == "env.yaml:10: services.app.instances.app-1." + message


@pytest.mark.parametrize(
    "labels, expected",
    [
        ("[com.example.team, tier]", {"com.example.team": "", "tier": ""}),
        (
            "{com.example.team: ops, replicas: 3, canary: true}",
            {"com.example.team": "ops", "replicas": "3", "canary": "True"},
        ),
        ("{}", {}),
    ],
)
def test_labels(load_env, labels, expected):
    env = load_env(one_instance("labels: %s" % labels))
    assert env.instances["app-1"]["labels"] == expected


# ---------------------------------------------------------------- the rest of the instance


def test_instance_defaults(load_env):
    inst = load_env(one_instance("")).instances["app-1"]
    assert {k: v for k, v in inst.items() if k not in ("env", "lifecycle")} == {
        "name": "app-1",
        "service": "app",
        "ship": "vm1",
        "ship_ip": "10.0.0.1",
        "environment": "settings",
        "image": "app:1",
        "command": None,
        "ports": [],
        "volumes": [],
        "container_volumes": [],
        "volumes_from": [],
        "links": {},
        "user": None,
        "privileged": False,
        "cap_add": [],
        "cap_drop": [],
        "security_opt": [],
        "extra_hosts": {},
        "network_mode": None,
        "hostname": "app-1",
        "restart": {"name": "no", "maximum_retry_count": 0},
        "dns": [],
        "stop_timeout": 10,
        "limits": {"cpu_shares": None, "memory": None, "memswap": None},
        "log_driver": None,
        "log_opt": {},
        "workdir": None,
        "ulimits": [],
        "labels": {},
        "level": 0,
    }
    assert inst["lifecycle"] == {}


def test_instance_settings(load_env):
    inst = load_env(
        one_instance("""\
command: [nginx, -g, "daemon off;"]
username: www-data
privileged: true
cap_add: NET_ADMIN
cap_drop: [ALL]
security_opt: [no-new-privileges]
extra_hosts: {gateway: 10.0.0.254, peer: {ship: vm2}}
dns: [1.1.1.1, 8.8.8.8]
stop_timeout: 25
log_driver: json-file
log_opt: {max-size: 10m, max-file: 3}
workdir: /srv
"""),
        environ={},
    ).instances["app-1"]
    assert inst["command"] == ["nginx", "-g", "daemon off;"]
    assert inst["user"] == "www-data"
    assert inst["privileged"] is True
    assert inst["cap_add"] == ["NET_ADMIN"]
    assert inst["cap_drop"] == ["ALL"]
    assert inst["security_opt"] == ["no-new-privileges"]
    assert inst["extra_hosts"] == {"gateway": "10.0.0.254", "peer": "10.0.0.2"}  # a ship: its ip
    assert inst["dns"] == ["1.1.1.1", "8.8.8.8"]
    assert inst["stop_timeout"] == 25
    assert inst["log_driver"] == "json-file"
    assert inst["log_opt"] == {"max-size": "10m", "max-file": "3"}
    assert inst["workdir"] == "/srv"


def test_command_as_a_string_and_dns_as_a_string(load_env):
    inst = load_env(one_instance("command: 'sleep 1000'\ndns: 9.9.9.9")).instances["app-1"]
    assert inst["command"] == "sleep 1000"
    assert inst["dns"] == ["9.9.9.9"]


def test_net_clears_hostname(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    assert env.instances["monitor-1"]["network_mode"] == "host"
    assert env.instances["monitor-1"]["hostname"] is None
    assert env.instances["web-1"]["hostname"] == "web-1"


def test_links_same_ship(load_env):
    env = load_env("""\
        name: links
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          db: {image: postgres, instances: {db-1: {ship: vm1}}}
          web: {image: nginx, instances: {web-1: {ship: vm1, links: {db-1: database}}}}
        """)
    assert env.instances["web-1"]["links"] == {"db-1": "database"}
    assert env.instances["web-1"]["level"] == 1  # a link orders like volumes_from


# ---------------------------------------------------------------- registries, audit, misc


def test_registries(fixture_path):
    env = environment.load(fixture_path("good", "registries.yaml"), environ={})
    assert env.registries == {
        "quay.io": {
            "name": "quay.io",
            "registry": "https://quay.io/v1",
            "username": "user",
            "password": "secret",
            "email": None,
            "retry": {"attempts": 3, "when": []},
        },
        "private": {
            "name": "private",
            "registry": "https://registry.example.com:5000/v2",
            "username": "bot",
            "password": "hunter2",
            "email": "bot@example.com",
            "retry": {"attempts": 5, "when": [500, 502]},
        },
    }


def test_empty_registries(fixture_path):
    env = environment.load(fixture_path("good", "empty_registries.yaml"), environ={})
    assert env.registries == {}
    assert env.audit == []


def test_audit(load_env):
    env = load_env("""\
        name: audit
        audit:
          - {type: log, file: /var/log/maestro.log}
          - {type: slack, token: t, channel: "#ops", level: error, ignore_errors: true}
          - {type: http, endpoint: "https://hooks.example.com/x", method: get, payload: {text: "{message}"}}
          - {type: exec, script: logger, args: "-t maestro {action} {what}", level: success, timeout: 5}
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          s: {image: x, instances: {s-1: {ship: vm1}}}
        """)
    assert env.audit == [
        {"type": "log", "file": "/var/log/maestro.log", "ignore_errors": False, "level": "info"},
        {
            "type": "slack",
            "token": "t",
            "channel": "#ops",
            "level": "error",
            "ignore_errors": True,
            "name": None,
            "icon": None,
        },
        {
            "type": "http",
            "endpoint": "https://hooks.example.com/x",
            "method": "GET",
            "headers": {},
            "payload": {"text": "{message}"},
            "timeout": 3,
            "ignore_errors": False,
            "level": "info",
        },
        {
            "type": "exec",
            "script": "logger",
            "args": "-t maestro {action} {what}",
            "timeout": 5,
            "level": "success",
            "ignore_errors": False,
        },
    ]


def test_to_dict_shape(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    data = env.to_dict()
    assert sorted(data) == ["audit", "file", "instances", "levels", "name", "registries", "schema", "services", "ships"]
    assert data["name"] == "platform"
    assert data["file"] == fixture_path("good", "platform.yaml")
    assert [s["name"] for s in data["services"]] == ["zookeeper", "data", "kafka", "web", "monitor"]
    web = env.services["web"]
    assert web == {
        "name": "web",
        "image": "nginx",
        "requires": ["kafka"],
        "wants_info": [],
        "omit": False,
        "instances": ["web-1", "web-2", "web-3"],
        "level": 2,
    }
    assert env.services["data"]["omit"] is True
    assert not [k for s in data["services"] for k in s if k.startswith("_")]
    assert not [k for i in data["instances"].values() for k in i if k.startswith("_")]


def test_audit_unknown_option_has_line_and_hint(load_error):
    assert (
        load_error("""\
        name: audit
        audit:
          - type: http
            endpoint: "https://hooks.example.com/x"
            headrs: {X-Token: t}
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          s: {image: x, instances: {s-1: {ship: vm1}}}
        """)
        == "env.yaml:5: audit.0.headrs: unknown http audit key 'headrs' (did you mean 'headers'?)"
    )
