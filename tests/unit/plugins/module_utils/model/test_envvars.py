"""The environment variables each container gets: names, values, precedence."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import environment, envvars

BASE = (
    "MAESTRO_ENVIRONMENT_NAME",
    "SERVICE_NAME",
    "CONTAINER_NAME",
    "CONTAINER_HOST_ADDRESS",
    "DOCKER_IMAGE",
    "DOCKER_TAG",
)


def parse_pairs(text):
    return dict(pair.split("=", 1) for pair in text.split())


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("zookeeper", "ZOOKEEPER"),
        ("kafka-1", "KAFKA_1"),
        ("my.svc-v2", "MY_SVC_V2"),
        ("a--b", "A__B"),  # every non-word character becomes one '_'
        ("with space", "WITH_SPACE"),
        ("under_score", "UNDER_SCORE"),
        ("café", "CAFÉ"),  # \w is Unicode-aware, as in MaestroNG on Python 3
        ("a/b:c@d", "A_B_C_D"),
    ],
)
def test_sanitize(name, expected):
    assert envvars.sanitize(name) == expected


@pytest.mark.parametrize(
    "image, tag",
    [
        ("ubuntu", "latest"),
        ("ubuntu:22.04", "22.04"),
        ("quay.io/org/app:v1.2", "v1.2"),
        ("registry:5000/app", "latest"),  # ':' belongs to the registry host
        ("registry:5000/app:3.1", "3.1"),
        ("registry.example.com:5000/team/app:rc-1", "rc-1"),
        ("app@sha256:abcdef", "abcdef"),  # text after the last ':'
        ("app:", ""),
    ],
)
def test_docker_tag(image, tag):
    assert envvars.docker_tag(image) == tag


# ---------------------------------------------------------------- MaestroNG's env-file case


def test_envfiles_fixture_s1a_exactly(fixture_path):
    env = environment.load(fixture_path("good", "envfiles.yaml"), environ={})
    expected = parse_pairs(
        "MAESTRO_ENVIRONMENT_NAME=test-envfiles SERVICE_NAME=s1 CONTAINER_NAME=s1a "
        "CONTAINER_HOST_ADDRESS=localhost DOCKER_IMAGE=ubuntu DOCKER_TAG=latest S1_INSTANCES=s1a,s1b "
        "S1_S1A_HOST=localhost S1_S1B_HOST=localhost SOME_ENV=value OVERRIDE=dog"
    )
    assert env.instances["s1a"]["env"] == expected


@pytest.mark.parametrize(
    "instance, override",
    [
        ("s1b", "giraffe"),  # its own env file beats the service's env
        ("s2a", "giraffe"),  # of two service env files, the later wins
        ("s2b", "cat"),  # instance env beats every file
    ],
)
def test_envfiles_fixture_overrides(fixture_path, instance, override):
    env = environment.load(fixture_path("good", "envfiles.yaml"), environ={})
    variables = env.instances[instance]["env"]
    assert variables["OVERRIDE"] == override
    assert variables["SOME_ENV"] == "value"
    service = env.instances[instance]["service"]
    assert variables["SERVICE_NAME"] == service
    assert variables["%s_INSTANCES" % service.upper()] == "%sa,%sb" % (service, service)


# ---------------------------------------------------------------- precedence


PRECEDENCE = """\
name: layers
ships: {vm1: {ip: 10.0.0.1, endpoint: docker1.internal}}
services:
  dep:
    image: redis
    ports: {db: "6379:16379"}
    instances:
      dep-1: {ship: vm1}
  a-b:
    image: app:2.0
    requires: [dep]
    envfile: service.env
    env:
      FROM_SERVICE_ENV: service-env
      L1: service-env
      L2: service-env
      MAESTRO_ENVIRONMENT_NAME: not-me
    ports: {http: "80:8080"}
    instances:
      a-b-1:
        ship: vm1
        envfile: instance.env
        env:
          L3: instance-env
          L4: instance-env
          MAESTRO_ENVIRONMENT_NAME: instance-wins
          CONTAINER_NAME: not-me
          DOCKER_TAG: not-me
          A_B_INSTANCES: not-me
          DEP_DEP_1_DB_PORT: not-me
"""

SERVICE_ENV_FILE = """\
L1=service-file
FROM_SERVICE_FILE=service-file
SERVICE_NAME=not-me
"""

INSTANCE_ENV_FILE = """\
L2=instance-file
L3=instance-file
SERVICE_NAME=instance-file-wins
CONTAINER_HOST_ADDRESS=not-me
"""


def test_precedence(load_env):
    env = load_env(PRECEDENCE, files={"service.env": SERVICE_ENV_FILE, "instance.env": INSTANCE_ENV_FILE})
    assert env.instances["a-b-1"]["env"] == {
        # service env files < service env
        "FROM_SERVICE_FILE": "service-file",
        "FROM_SERVICE_ENV": "service-env",
        "L1": "service-env",
        # < MAESTRO_ENVIRONMENT_NAME/SERVICE_NAME < instance env files < instance env
        "L2": "instance-file",
        "SERVICE_NAME": "instance-file-wins",
        "L3": "instance-env",
        "L4": "instance-env",
        "MAESTRO_ENVIRONMENT_NAME": "instance-wins",
        # < CONTAINER_NAME/CONTAINER_HOST_ADDRESS/DOCKER_IMAGE/DOCKER_TAG
        "CONTAINER_NAME": "a-b-1",
        "CONTAINER_HOST_ADDRESS": "10.0.0.1",  # the ship's ip, not its endpoint
        "DOCKER_IMAGE": "app:2.0",
        "DOCKER_TAG": "2.0",
        # < link variables: own service, then dependencies
        "A_B_INSTANCES": "a-b-1",
        "A_B_A_B_1_HOST": "10.0.0.1",
        "A_B_A_B_1_HTTP_PORT": "8080",
        "A_B_A_B_1_HTTP_INTERNAL_PORT": "80",
        "DEP_INSTANCES": "dep-1",
        "DEP_DEP_1_HOST": "10.0.0.1",
        "DEP_DEP_1_DB_PORT": "16379",
    }


def test_base_variables_for_every_container(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    for name, inst in env.instances.items():
        variables = inst["env"]
        assert variables["MAESTRO_ENVIRONMENT_NAME"] == "platform"
        assert variables["SERVICE_NAME"] == inst["service"]
        assert variables["CONTAINER_NAME"] == name
        assert variables["CONTAINER_HOST_ADDRESS"] == env.ships[inst["ship"]]["ip"]
        assert variables["DOCKER_IMAGE"] == inst["image"]
    assert env.instances["kafka-2"]["env"]["DOCKER_IMAGE"] == "registry.example.com:5000/kafka:3.7"
    assert env.instances["kafka-2"]["env"]["DOCKER_TAG"] == "3.7"
    assert env.instances["kafka-1"]["env"]["DOCKER_TAG"] == "3.6"
    assert env.instances["web-2"]["env"]["CONTAINER_HOST_ADDRESS"] == "10.0.0.2"  # not the endpoint


# ---------------------------------------------------------------- values


def test_values_are_written_as_maestro_writes_them(load_env):
    env = load_env("""\
        name: values
        _globals:
          jvm: &jvm [-Xms1g, -Xmx2g]
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          app:
            image: app
            env:
              TRUE_VALUE: true
              FALSE_VALUE: false
              YES_VALUE: yes
              INT: 42
              OCTAL_LOOKING: 0777
              QUOTED: "0777"
              FLOAT: 1.5
              NOTHING:
              NULL_VALUE: null
              LIST: [a, b, c]
              NESTED: [*jvm, [-server, [-verbose]]]
              NUMBERS: [1, 2.5, true]
              EMPTY_LIST: []
              DATE: 2024-01-31
              123: numeric key
              WITH_EQUALS: a=b
            instances:
              app-1: {ship: vm1}
        """)
    variables = env.instances["app-1"]["env"]
    assert {k: v for k, v in variables.items() if k not in BASE and not k.startswith("APP_")} == {
        "TRUE_VALUE": "True",
        "FALSE_VALUE": "False",
        "YES_VALUE": "True",
        "INT": "42",
        "OCTAL_LOOKING": "511",  # YAML 1.1 octal, as PyYAML reads it
        "QUOTED": "0777",
        "FLOAT": "1.5",
        "NOTHING": "",  # deliberate: MaestroNG wrote 'None'
        "NULL_VALUE": "",
        "LIST": "a b c",
        "NESTED": "-Xms1g -Xmx2g -server -verbose",
        "NUMBERS": "1 2.5 True",
        "EMPTY_LIST": "",
        "DATE": "2024-01-31",
        "123": "numeric key",
        "WITH_EQUALS": "a=b",
    }
    assert all(isinstance(v, str) for v in variables.values())


def test_instance_env_list_values(load_env):
    env = load_env("""\
        name: values
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          app:
            image: app
            instances:
              app-1: {ship: vm1, env: {OPTS: [--a, [--b]]}}
        """)
    assert env.instances["app-1"]["env"]["OPTS"] == "--a --b"


def test_mapping_inside_an_env_list_is_rejected(load_error):
    assert (
        load_error("""\
        name: values
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          app:
            image: app
            env:
              OPTS: [--a, {b: c}]
            instances:
              app-1: {ship: vm1}
        """)
        == "env.yaml:7: services.app.env.OPTS: must be a string or a list, got a mapping"
    )


# ---------------------------------------------------------------- link variables

CHAIN = """\
name: chain
ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
services:
  c:
    image: c
    ports: {cp: "1:1001"}
    instances: {c-1: {ship: vm1}}
  b:
    image: b
    requires: c
    ports: {bp: "2:1002"}
    instances: {b-1: {ship: vm1}}
  a:
    image: a
    requires: [b]
    ports: {ap: "3:1003"}
    instances: {a-2: {ship: vm2}, a-1: {ship: vm1}}
  d:
    image: d
    wants_info: [a]
    instances: {d-1: {ship: vm2}}
  e:
    image: e
    wants_info: d
    requires: [c]
    instances: {e-1: {ship: vm2}}
"""


def prefixes(variables):
    return sorted({k.split("_")[0] for k in variables if k not in BASE})


def test_requires_is_transitive_wants_info_is_not(load_env):
    env = load_env(CHAIN)
    assert prefixes(env.instances["c-1"]["env"]) == ["C"]
    assert prefixes(env.instances["b-1"]["env"]) == ["B", "C"]
    assert prefixes(env.instances["a-1"]["env"]) == ["A", "B", "C"]  # c through b
    assert prefixes(env.instances["d-1"]["env"]) == ["A", "D"]  # not a's requirements
    assert prefixes(env.instances["e-1"]["env"]) == ["C", "D", "E"]  # d, but not what d wants


def test_internal_port_only_for_own_service(load_env):
    env = load_env(CHAIN)
    variables = env.instances["a-1"]["env"]
    assert variables["A_A_1_AP_PORT"] == "1003"
    assert variables["A_A_1_AP_INTERNAL_PORT"] == "3"
    assert variables["A_A_2_AP_INTERNAL_PORT"] == "3"  # own peers too
    assert variables["B_B_1_BP_PORT"] == "1002"
    assert variables["C_C_1_CP_PORT"] == "1001"
    assert not [k for k in variables if k.endswith("_INTERNAL_PORT") and not k.startswith("A_")]
    assert "A_A_1_AP_INTERNAL_PORT" not in env.instances["d-1"]["env"]
    assert env.instances["d-1"]["env"]["A_A_1_AP_PORT"] == "1003"


def test_instances_variable_is_sorted_and_hosts_are_ship_ips(load_env):
    env = load_env(CHAIN)
    variables = env.instances["d-1"]["env"]
    assert variables["A_INSTANCES"] == "a-1,a-2"  # defined a-2 first
    assert variables["A_A_1_HOST"] == "10.0.0.1"
    assert variables["A_A_2_HOST"] == "10.0.0.2"


def test_sanitised_link_variable_names(load_env):
    env = load_env("""\
        name: names
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          my-app.v2:
            image: app
            ports: {http-alt: 8080, "grpc.port": 9090}
            instances:
              my-app.v2-1: {ship: vm1}
        """)
    variables = env.instances["my-app.v2-1"]["env"]
    assert variables["MY_APP_V2_INSTANCES"] == "my-app.v2-1"  # raw names in values
    assert variables["MY_APP_V2_MY_APP_V2_1_HOST"] == "10.0.0.1"
    assert variables["MY_APP_V2_MY_APP_V2_1_HTTP_ALT_PORT"] == "8080"
    assert variables["MY_APP_V2_MY_APP_V2_1_GRPC_PORT_INTERNAL_PORT"] == "9090"
    assert variables["SERVICE_NAME"] == "my-app.v2"
    assert variables["CONTAINER_NAME"] == "my-app.v2-1"


def test_wants_info_cycle_gives_both_sides_the_information(load_env):
    env = load_env("""\
        name: mutual
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          x: {image: x, wants_info: [y], instances: {x-1: {ship: vm1}}}
          y: {image: y, wants_info: [x], instances: {y-1: {ship: vm1}}}
        """)
    assert prefixes(env.instances["x-1"]["env"]) == ["X", "Y"]
    assert prefixes(env.instances["y-1"]["env"]) == ["X", "Y"]


def test_volumes_from_orders_but_gives_no_variables(fixture_path):
    env = environment.load(fixture_path("good", "volumes_from_dependency.yaml"), environ={})
    assert prefixes(env.instances["myservice1"]["env"]) == ["MYSERVICE"]


def test_link_variables_helper():
    instances = [
        {"name": "zk-2", "ship_ip": "10.0.0.2", "ports": []},
        {"name": "zk-1", "ship_ip": "10.0.0.1", "ports": [{"name": "client", "exposed": "2181", "external": "12181"}]},
    ]
    assert envvars.link_variables("zk", instances, internal=False) == {
        "ZK_INSTANCES": "zk-1,zk-2",
        "ZK_ZK_2_HOST": "10.0.0.2",
        "ZK_ZK_1_HOST": "10.0.0.1",
        "ZK_ZK_1_CLIENT_PORT": "12181",
    }
    assert envvars.link_variables("zk", instances, internal=True)["ZK_ZK_1_CLIENT_INTERNAL_PORT"] == "2181"
