"""One instance of a service (model/instances.py): what it inherits from its service (image,
ports by name, limits per key, lifecycle checks), its container settings normalised (volumes
in schema 1 and 2, restart forms, limit sizes, ulimits, labels, extra hosts, command) and its
lifecycle checks with their defaults, each refused with one exact located line."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, instances, loader, schema
from ansible_collections.maestro.ng.plugins.module_utils.model.drafts import ServiceDraft
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import one_instance

SHIPS = {"vm1": {"name": "vm1", "ip": "10.0.0.1"}, "vm2": {"name": "vm2", "ip": "10.0.0.2"}}
PATH = ("services", "app", "instances", "app-1")

TWO_SHIPS = """\
name: ports
ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
services:
"""


def parse(text):
    return loader.parse_yaml(textwrap.dedent(text).lstrip("\n"), "env.yaml")


def read(instance, service="", schema_version=2, folder="/nowhere", ship="vm1"):
    """instances.read of instance app-1 (``ship: vm1`` then ``instance``) of service app
    (``image: app:1`` then ``service``), its service draft made as services.read makes it.
    Lines: the service's own settings start on line 3; the instance's, after its ship."""
    service_lines = [line for line in textwrap.dedent(service).strip("\n").splitlines() if line]
    instance_lines = ["ship: %s" % ship] + [line for line in textwrap.dedent(instance).strip("\n").splitlines() if line]
    text = (
        "app:\n  image: app:1\n"
        + "".join("  " + line + "\n" for line in service_lines)
        + "  instances:\n    app-1:\n"
        + "".join("      " + line + "\n" for line in instance_lines)
    )
    svc = parse(text)["app"]
    path = ("services", "app")
    draft = ServiceDraft(svc, path, 0)
    draft.ports = instances.read_ports(svc, path)
    draft.limits = schema.get_map(svc, "limits", path)
    draft.lifecycle = instances.read_lifecycle(svc, path)
    service = {"name": "app", "image": "app:1", "requires": [], "wants_info": [], "omit": False, "instances": []}
    context = FileContext("env.yaml", folder)
    raw = svc["instances"]["app-1"]
    return instances.read(service, draft, "app-1", raw, PATH, context, "env", schema_version, SHIPS)


def error(function, *args, **kwargs):
    with pytest.raises(MaestroError) as info:
        function(*args, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- one instance, read


def test_read_gives_the_spec_and_the_instances_own_env(tmp_path):
    (tmp_path / "own.env").write_text("FROM_FILE=1\nBOTH=file\n")
    spec, own_env = read(
        """
        envfile: own.env
        env: {BOTH: env}
        """,
        service="env: {SERVICE_ONLY: 1}",
        folder=str(tmp_path),
    )
    assert own_env == {"FROM_FILE": "1", "BOTH": "env"}  # not the service's: envvars.py layers them
    assert spec["env"] == {}
    assert (spec["name"], spec["service"], spec["ship"], spec["ship_ip"], spec["environment"], spec["image"]) == (
        "app-1",
        "app",
        "vm1",
        "10.0.0.1",
        "env",
        "app:1",
    )
    assert spec["level"] is None


def test_read_instance_image_overrides_the_services():
    assert read("image: app:2")[0]["image"] == "app:2"


@pytest.mark.parametrize(
    "ship, instance, message",
    [
        ("vm9", "", "line 5: services.app.instances.app-1.ship: unknown ship 'vm9' (known: vm1, vm2)"),
        ("", "", "line 5: services.app.instances.app-1.ship: is required"),
        (
            "vm1",
            "privilged: true",
            "line 6: services.app.instances.app-1.privilged: unknown instance key 'privilged' (did you mean 'privileged'?)",
        ),
        ("vm1", "stop_timeout: -1", "line 6: services.app.instances.app-1.stop_timeout: must be at least 0, got -1"),
        ("vm1", "net: [host]", "line 6: services.app.instances.app-1.net: must be a string, got a list"),
        (
            "vm1",
            "username: {name: x}",
            "line 6: services.app.instances.app-1.username: must be a string, got a mapping",
        ),
        (
            "vm1",
            "log_opt: [max-size=1m]",
            "line 6: services.app.instances.app-1.log_opt: must be a mapping, got a list",
        ),
    ],
)
def test_read_errors(ship, instance, message):
    with pytest.raises(MaestroError) as info:
        read(instance, ship=ship)
    assert str(info.value) == message


def test_any_net_clears_the_hostname():
    spec = read("net: host")[0]
    assert (spec["network_mode"], spec["hostname"]) == ("host", None)
    assert read("net: container:app-0")[0]["hostname"] is None
    assert read("")[0]["hostname"] == "app-1"


def test_stop_timeout_zero_is_kept():
    assert read("stop_timeout: 0")[0]["stop_timeout"] == 0
    assert read("")[0]["stop_timeout"] == 10


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
        "healthcheck": None,
        "oneshot": None,
        "level": 0,
        "secret_digests": {},
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


# ---------------------------------------------------------------- ports


def test_read_ports():
    doc = parse("""
        web:
          ports:
            http: "80:8080"
            53: 53/udp
        """)
    assert instances.read_ports(doc["web"], ("services", "web")) == {
        "http": {"name": "http", "exposed": "80", "external": "8080", "protocol": "tcp", "host_ip": "0.0.0.0"},
        "53": {"name": "53", "exposed": "53", "external": "53", "protocol": "udp", "host_ip": "0.0.0.0"},
    }
    assert instances.read_ports({}, ("services", "web")) == {}


def test_read_ports_error_is_on_the_ports_line():
    doc = parse("""
        web:
          ports:
            http: 80
            admin: eighty
        """)
    assert error(instances.read_ports, doc["web"], ("services", "web")) == (
        "line 4: services.web.ports.admin: invalid port 'eighty' (expected PORT, PORT/PROTO or FIRST-LAST)"
    )


def test_instance_ports_come_after_the_services_and_replace_them_by_name():
    spec = read("ports: {metrics: 9100, http: '80:8081'}", service="ports: {http: 80, admin: 9000}")[0]
    assert [(p["name"], p["exposed"], p["external"]) for p in spec["ports"]] == [
        ("http", "80", "8081"),
        ("admin", "9000", "9000"),
        ("metrics", "9100", "9100"),
    ]


def test_instance_ports_merge_over_service_ports_by_name(load_env):
    env = load_env(
        TWO_SHIPS
        + """\
          web:
            image: nginx
            ports: {http: 80, admin: "9000:19000"}
            instances:
              web-1: {ship: vm1}
              web-2: {ship: vm2, ports: {http: "80:8080", metrics: 9100}}
              web-3: {ship: vm1, ports: {http: "80:8081", admin: "9000:19001"}}
        """
    )
    by_name = {i: {p["name"]: (p["exposed"], p["external"]) for p in env.instances[i]["ports"]} for i in env.instances}
    assert by_name == {
        "web-1": {"http": ("80", "80"), "admin": ("9000", "19000")},
        "web-2": {"http": ("80", "8080"), "admin": ("9000", "19000"), "metrics": ("9100", "9100")},
        "web-3": {"http": ("80", "8081"), "admin": ("9000", "19001")},
    }


def test_dict_form_ports_do_not_leak_between_instances(load_env):
    # MaestroNG bug: dict-form ports mutated the service's shared config.
    env = load_env(
        TWO_SHIPS
        + """\
          dns:
            image: coredns
            ports:
              dns: {exposed: 53/udp, external: [10.0.0.53, 53/udp]}
            instances:
              dns-1: {ship: vm1}
              dns-2: {ship: vm2}
              dns-3: {ship: vm1, ports: {dns: {exposed: 53/udp, external: [10.0.0.54, 53/udp]}}}
        """
    )
    ips = [env.instances[i]["ports"][0]["host_ip"] for i in ("dns-1", "dns-2", "dns-3")]
    assert ips == ["10.0.0.53", "10.0.0.53", "10.0.0.54"]


# ---------------------------------------------------------------- volumes


@pytest.mark.parametrize(
    "schema_version, expected",
    [
        (2, [{"source": "/host", "target": "/container", "mode": "rw"}]),  # host: container
        (1, [{"source": "/container", "target": "/host", "mode": "rw"}]),  # container: host
    ],
)
def test_plain_volumes_by_schema(schema_version, expected):
    assert instances._volumes({"volumes": {"/host": "/container"}}, PATH, schema_version) == expected


def test_mapping_volumes_are_host_first_in_both_schemas():
    raw = {"volumes": {"/srv": {"target": "/data", "mode": "ro"}, "named": {"target": "/cache"}}}
    expected = [
        {"source": "/srv", "target": "/data", "mode": "ro"},
        {"source": "named", "target": "/cache", "mode": "rw"},
    ]
    assert instances._volumes(raw, PATH, 1) == expected
    assert instances._volumes(raw, PATH, 2) == expected
    assert instances._volumes({}, PATH, 2) == []


@pytest.mark.parametrize(
    "volumes, message",
    [
        ({"/srv": {"target": "/d", "opts": "z"}}, "volumes./srv: unknown volume key 'opts' (target, mode)"),
        ({"/srv": {"mode": "ro"}}, "volumes./srv.target: is required"),
        ({"/srv": {"target": "/d", "mode": ["ro"]}}, "volumes./srv.mode: must be a string, got a list"),
        ({"/srv": ""}, "volumes./srv: must be a path or {target, mode}, got a string"),
        ({"/srv": None}, "volumes./srv: must be a path or {target, mode}, got nothing"),
        ({"/srv": 5}, "volumes./srv: must be a path or {target, mode}, got a number"),
        ({"/a": "/d", "/b": {"target": "/d"}}, "volumes: /a and /b are both mounted at /d"),
    ],
)
def test_volume_errors(volumes, message):
    assert error(instances._volumes, {"volumes": volumes}, PATH, 2) == "services.app.instances.app-1." + message


def test_volumes_must_be_a_mapping():
    assert error(instances._volumes, {"volumes": ["/a:/b"]}, PATH, 2) == (
        "services.app.instances.app-1.volumes: must be a mapping, got a list"
    )


def test_same_target_error_is_on_the_volumes_line():
    with pytest.raises(MaestroError) as info:
        read("volumes:\n  /one: /data\n  /two: /data")
    assert str(info.value) == "line 7: services.app.instances.app-1.volumes: /one and /two are both mounted at /data"


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


def test_schema_1_explicit(load_env):
    env = load_env(one_instance("volumes: {/container: /host}", schema=1))
    assert env.instances["app-1"]["volumes"] == [{"source": "/host", "target": "/container", "mode": "rw"}]


def test_volume_mode_default_and_target_form(load_env):
    env = load_env(one_instance("volumes: {/a: {target: /b}, /c: {target: /d, mode: 'ro,Z'}}"))
    assert env.instances["app-1"]["volumes"] == [
        {"source": "/a", "target": "/b", "mode": "rw"},
        {"source": "/c", "target": "/d", "mode": "ro,Z"},
    ]


# ---------------------------------------------------------------- extra hosts, command, labels


def test_extra_hosts():
    raw = {"extra_hosts": {"gateway": "10.0.0.254", "peer": {"ship": "vm2"}}}
    assert instances._extra_hosts(raw, PATH, SHIPS) == {"gateway": "10.0.0.254", "peer": "10.0.0.2"}
    assert instances._extra_hosts({}, PATH, SHIPS) == {}


@pytest.mark.parametrize(
    "target, message",
    [
        ({"ship": "vm9"}, "extra_hosts.db.ship: unknown ship 'vm9' (known: vm1, vm2)"),
        ({"ship": "vm1", "port": 1}, "extra_hosts.db: must be an address or {ship: NAME}"),
        ({"name": "vm1"}, "extra_hosts.db.ship: is required"),
        ("", "extra_hosts.db: must be an address or {ship: NAME}, got a string"),
        (None, "extra_hosts.db: must be an address or {ship: NAME}, got nothing"),
        (10, "extra_hosts.db: must be an address or {ship: NAME}, got a number"),
    ],
)
def test_extra_host_errors(target, message):
    assert error(instances._extra_hosts, {"extra_hosts": {"db": target}}, PATH, SHIPS) == (
        "services.app.instances.app-1." + message
    )


@pytest.mark.parametrize(
    "command, expected",
    [
        (None, None),
        ("sleep 10", "sleep 10"),
        (["sleep", 10], ["sleep", "10"]),
        ([], []),
        (5, "5"),
    ],
)
def test_command(command, expected):
    assert instances._command({"command": command}, PATH) == expected


@pytest.mark.parametrize(
    "command, message",
    [
        ({"run": "x"}, "command: must be a string, got a mapping"),
        (["sleep", ["10"]], "command.1: must be a string, got a list"),
        (True, "command: must be a string, got a boolean"),
    ],
)
def test_command_errors(command, message):
    assert error(instances._command, {"command": command}, PATH) == "services.app.instances.app-1." + message


@pytest.mark.parametrize(
    "labels, expected",
    [
        (None, {}),
        (["tier", 7], {"tier": "", "7": ""}),
        ({"tier": "web", "n": 1, "empty": None}, {"tier": "web", "n": "1", "empty": ""}),
    ],
)
def test_labels_forms(labels, expected):
    assert instances._labels({"labels": labels}, PATH) == expected


@pytest.mark.parametrize(
    "labels, message",
    [
        ("tier=web", "labels: must be a list or a mapping, got a string"),
        (True, "labels: must be a list or a mapping, got a boolean"),
        (["a", {"b": 1}], "labels.1: must be a string, got a mapping"),
        ({"a": ["b"]}, "labels.a: must be a string, got a list"),
    ],
)
def test_label_errors(labels, message):
    assert error(instances._labels, {"labels": labels}, PATH) == "services.app.instances.app-1." + message


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


# ---------------------------------------------------------------- restart


@pytest.mark.parametrize(
    "value, expected",
    [
        ("on-failure:0", ("on-failure", 0)),
        ("on-failure:", ("on-failure", 0)),
        ("always:0", ("always", 0)),  # a zero count is no count
        ({"name": "on-failure", "retries": 4, "maximum_retry_count": 9}, ("on-failure", 4)),  # retries first
        ({"name": "no", "retries": 0}, ("no", 0)),
    ],
)
def test_restart_forms(value, expected):
    restart = instances._restart({"restart": value}, PATH)
    assert (restart["name"], restart["maximum_retry_count"]) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("sometimes", "unknown restart policy 'sometimes' (known: no, always, on-failure, unless-stopped)"),
        ("on-failure:-1", "invalid retry count '-1'"),
        ("on-failure:3:4", "invalid retry count '3:4'"),
        ("on-failure:²", "invalid retry count '²'"),
        ({"name": "on-failure", "retries": -1}, "restart.retries: must be at least 0, got -1"),
        ({"name": "on-failure", "retries": "x"}, "restart.retries: must be an integer, got 'x'"),
        ({"name": "unless-stopped", "maximum_retry_count": 2}, "a retry count only applies to on-failure"),
        (3, "must be a policy name or {name, retries}, got a number"),
    ],
)
def test_restart_direct_errors(value, message):
    text = error(instances._restart, {"restart": value}, PATH)
    prefix = "services.app.instances.app-1."
    assert text == prefix + (message if message.startswith("restart.") else "restart: " + message)


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


# ---------------------------------------------------------------- limits and ulimits


@pytest.mark.parametrize(
    "value, size",
    [
        (0, 0),
        (1024, 1024),
        ("2048", 2048),
        ("1b", 1),
        ("1B", 1),
        (" 1 k ", 1024),
        ("1kb", 1024),
        ("3M", 3 * 1024**2),
        ("1GB", 1024**3),
        (None, None),
    ],
)
def test_size(value, size):
    assert instances._size({"memory": value}, "memory", ("l",)) == size


@pytest.mark.parametrize("value", ["1t", "1.5g", "-1", "g", "1 g b", "", 1.5, True, [1]])
def test_size_errors(value):
    assert error(instances._size, {"swap": value}, "swap", ("l",)) == (
        "l.swap: must be a size in bytes or with a k/m/g suffix, got %r" % (value,)
    )


def test_limits_merge_the_services_and_the_instances_per_key():
    spec = read("limits: {memory: 256m, cpu: 0}", service="limits: {memory: 1g, swap: 2g, cpu: 512}")[0]
    assert spec["limits"] == {"cpu_shares": 0, "memory": 256 * 1024**2, "memswap": 2 * 1024**3}
    assert read("")[0]["limits"] == {"cpu_shares": None, "memory": None, "memswap": None}


@pytest.mark.parametrize(
    "service, instance, message",
    [
        ("limits: {cpu: -1}", "", "line 3: services.app.limits.cpu: must be at least 0, got -1"),
        (
            "",
            "limits: {memory: 2 gigs}",
            "line 6: services.app.instances.app-1.limits.memory: must be a size in bytes or with a k/m/g suffix, got '2 gigs'",
        ),
        (
            "",
            "limits: {memroy: 1g}",
            "line 6: services.app.instances.app-1.limits.memroy: unknown limits key 'memroy' (did you mean 'memory'?)",
        ),
        ("", "limits: 1g", "line 6: services.app.instances.app-1.limits: must be a mapping, got a string"),
    ],
)
def test_limit_errors_name_where_the_limit_was_written(service, instance, message):
    with pytest.raises(MaestroError) as info:
        read(instance, service=service)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "memory, expected",
    [
        (7340032, 7340032),
        ("'8388608'", 8388608),
        ("7168k", 7168 * 1024),
        ("7168K", 7168 * 1024),
        ("256m", 256 * 1024**2),
        ("2g", 2 * 1024**3),
        ("2G", 2 * 1024**3),
        ("1gb", 1024**3),
    ],
)
def test_limit_sizes(load_env, memory, expected):
    env = load_env(one_instance("limits: {memory: %s, swap: 4g, cpu: 256}" % memory))
    assert env.instances["app-1"]["limits"] == {"cpu_shares": 256, "memory": expected, "memswap": 4 * 1024**3}


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


def test_ulimit_forms():
    raw = {"ulimits": {"nofile": 1024, "nproc": {"soft": 10, "hard": 20}, "core": {"hard": 0}, "stack": {"soft": 8}}}
    assert instances._ulimits(raw, PATH) == [
        {"name": "nofile", "soft": 1024, "hard": 1024},
        {"name": "nproc", "soft": 10, "hard": 20},
        {"name": "core", "soft": 0, "hard": 0},
        {"name": "stack", "soft": 8, "hard": 8},
    ]
    assert instances._ulimits({}, PATH) == []


@pytest.mark.parametrize(
    "ulimits, message",
    [
        ({"nofile": {"soft": 2048, "hard": 1024}}, "ulimits.nofile: soft limit 2048 is above the hard limit 1024"),
        ({"nofile": "unlimited"}, "ulimits.nofile: must be an integer, got 'unlimited'"),
        ({"nofile": {"soft": None, "hard": None}}, "ulimits.nofile: needs soft and/or hard"),
        ({"nofile": {"soft": 1, "hardest": 2}}, "ulimits.nofile: unknown ulimit key 'hardest' (soft, hard)"),
        ({"nofile": None}, "ulimits.nofile: needs a limit: a number, or {soft, hard}"),
        ({"nofile": "²"}, "ulimits.nofile: must be an integer, got '²'"),  # a digit to str.isdigit, not to int()
    ],
)
def test_ulimit_direct_errors(ulimits, message):
    with pytest.raises(MaestroError) as info:
        instances._ulimits({"ulimits": ulimits}, PATH)
    assert str(info.value) == "services.app.instances.app-1." + message


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


# ---------------------------------------------------------------- lifecycle checks: reading


def test_read_lifecycle_keeps_each_check_with_its_path():
    doc = parse("""
        web:
          lifecycle:
            running:
              - {type: tcp, port: http}
              - {type: sleep, wait: 2}
            stopped:
            pre-stop: []
        """)
    found = instances.read_lifecycle(doc["web"], ("services", "web"))
    assert found == {
        "running": [
            ({"type": "tcp", "port": "http"}, ("services", "web", "lifecycle", "running", 0)),
            ({"type": "sleep", "wait": 2}, ("services", "web", "lifecycle", "running", 1)),
        ]
    }
    assert instances.read_lifecycle({}, ("services", "web")) == {}


@pytest.mark.parametrize(
    "lifecycle, message",
    [
        (
            "started: []",
            "line 3: web.lifecycle.started: unknown lifecycle state 'started' (known: pre-start, running, pre-stop, stopped)",
        ),
        ("running: {type: tcp, port: 80}", "line 3: web.lifecycle.running: must be a list of checks, got a mapping"),
        ("running: [tcp]", "line 3: web.lifecycle.running.0: must be a mapping, got a string"),
        (
            "running: [{port: 80}]",
            "line 3: web.lifecycle.running.0.type: unknown check type None (known: exec, http, rexec, sleep, tcp)",
        ),
        (
            "running: [{type: ping}]",
            "line 3: web.lifecycle.running.0.type: unknown check type 'ping' (known: exec, http, rexec, sleep, tcp)",
        ),
        ("running: [{type: tcp}]", "line 3: web.lifecycle.running.0.port: a tcp check needs 'port'"),
        ("running: [{type: http, port: }]", "line 3: web.lifecycle.running.0.port: a http check needs 'port'"),
        ("running: [{type: exec}]", "line 3: web.lifecycle.running.0.command: an exec check needs 'command'"),
        ("running: [{type: rexec}]", "line 3: web.lifecycle.running.0.command: a rexec check needs 'command'"),
        ("running: [{type: sleep}]", "line 3: web.lifecycle.running.0.wait: a sleep check needs 'wait'"),
        (
            "running: [{type: tcp, port: 80, host: h}]",
            "line 3: web.lifecycle.running.0.host: unknown tcp check key 'host' (known: max_wait, port, type)",
        ),
        (
            "running: [{type: exec, command: x, attemps: 2}]",
            "line 3: web.lifecycle.running.0.attemps: unknown exec check key 'attemps' (did you mean 'attempts'?)",
        ),
    ],
)
def test_read_lifecycle_errors(lifecycle, message):
    doc = parse("web:\n  lifecycle:\n    %s\n" % lifecycle)
    assert error(instances.read_lifecycle, doc["web"], ("web",)) == message


def test_service_checks_come_first_then_the_instances_own():
    spec = read(
        "lifecycle:\n  stopped: [{type: sleep, wait: 3}]\n  running: [{type: sleep, wait: 2}]",
        service="lifecycle:\n  running: [{type: sleep, wait: 1}]",
    )[0]
    assert spec["lifecycle"] == {
        "running": [{"type": "sleep", "wait": 1}, {"type": "sleep", "wait": 2}],
        "stopped": [{"type": "sleep", "wait": 3}],
    }
    assert list(spec["lifecycle"]) == ["running", "stopped"]


# ---------------------------------------------------------------- lifecycle checks: values and defaults


SPEC = {
    "name": "app-1",
    "ship_ip": "10.0.0.1",
    "ports": [
        {"name": "http", "exposed": "80", "external": "8080", "protocol": "tcp", "host_ip": "0.0.0.0"},
        {"name": "range", "exposed": "9000-9009", "external": "19000-19009", "protocol": "tcp", "host_ip": "0.0.0.0"},
    ],
}
CPATH = ("services", "app", "lifecycle", "running", 0)


@pytest.mark.parametrize(
    "check, expected",
    [
        ({"type": "sleep", "wait": 0.5}, {"type": "sleep", "wait": 0.5}),
        ({"type": "exec", "command": "true"}, {"type": "exec", "command": "true", "attempts": 180}),
        ({"type": "rexec", "command": "ok", "attempts": 2}, {"type": "rexec", "command": "ok", "attempts": 2}),
        ({"type": "tcp", "port": "http"}, {"type": "tcp", "port": 8080, "host": "10.0.0.1", "max_wait": 180}),
        (
            {"type": "tcp", "port": "range", "max_wait": 0},
            {"type": "tcp", "port": 19000, "host": "10.0.0.1", "max_wait": 0},
        ),
        (
            {"type": "http", "port": "http"},
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
        ),
        (
            {"type": "http", "port": 8443, "host": "h", "scheme": "https", "method": "post", "match_regex": "^ok$"},
            {
                "type": "http",
                "port": 8443,  # a number that names no port: used as it is
                "host": "h",
                "path": "/",
                "scheme": "https",
                "method": "POST",
                "match_regex": "^ok$",
                "max_wait": 300,
            },
        ),
    ],
)
def test_check_values(check, expected):
    assert instances._check(SPEC, check, CPATH) == expected


@pytest.mark.parametrize(
    "check, message",
    [
        ({"type": "tcp", "port": 8080}, "port: unknown port 8080 for instance app-1 (known: http, range)"),
        ({"type": "tcp", "port": "admin"}, "port: unknown port 'admin' for instance app-1 (known: http, range)"),
        ({"type": "http", "port": 0}, "port: unknown port 0 for instance app-1 (known: http, range)"),
        ({"type": "http", "port": 65536}, "port: unknown port 65536 for instance app-1 (known: http, range)"),
        ({"type": "http", "port": True}, "port: unknown port True for instance app-1 (known: http, range)"),
        (
            {"type": "http", "port": "http", "match_regex": "(ok"},
            "match_regex: invalid regular expression: missing ), unterminated subpattern at position 0",
        ),
        ({"type": "http", "port": "http", "max_wait": -1}, "max_wait: must be at least 0, got -1"),
        ({"type": "exec", "command": "x", "attempts": 0}, "attempts: must be at least 1, got 0"),
        ({"type": "exec", "command": ["x"]}, "command: must be a string, got a list"),
        ({"type": "sleep", "wait": "1"}, "wait: must be a number, got '1'"),
    ],
)
def test_check_errors(check, message):
    assert error(instances._check, SPEC, check, CPATH) == "services.app.lifecycle.running.0." + message


def test_check_port_without_ports_says_none():
    spec = dict(SPEC, ports=[])
    assert error(instances._check_port, spec, {"port": "http"}, CPATH, True) == (
        "services.app.lifecycle.running.0.port: unknown port 'http' for instance app-1 (known: none)"
    )


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
