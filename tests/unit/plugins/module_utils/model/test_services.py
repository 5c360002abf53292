"""The ``services`` section (model/services.py): each service, the names of its instances
(Docker's container-name rule, one instance per name in the whole file), the variable-name
collisions MaestroNG would let through, and the side tables (drafts) later steps read."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader, services, ships
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext

SHIPS = "ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}\n"


def read(text, folder="/nowhere", schema_version=2):
    """services.read of SHIPS + ``text``: (services, instances, drafts)."""
    doc = loader.parse_yaml(SHIPS + textwrap.dedent(text).lstrip("\n"), "env.yaml")
    context = FileContext("env.yaml", folder)
    return services.read(doc, context, "env", schema_version, ships.read(doc, context))


def error(text):
    """The error text of reading SHIPS + ``text`` (its lines count from 2)."""
    with pytest.raises(MaestroError) as info:
        read(text)
    return str(info.value)


# ---------------------------------------------------------------- through environment.load


def test_requires_as_a_string_is_one_service(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    assert env.services["web"]["requires"] == ["kafka"]  # written `requires: kafka`


@pytest.mark.parametrize(
    "first, second, prefix",
    [
        ("a_b", "a-b", "A_B"),  # MaestroNG 0.8.3 would give both A_B_*, the later service's values winning
        ("log_1", "log.1", "LOG_1"),
        ("web", "Web", "WEB"),  # upper-cased too
    ],
)
def test_services_giving_the_same_variable_names_are_refused(load_env, first, second, prefix):
    with pytest.raises(MaestroError) as info:
        load_env(
            """\
            name: clash
            ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
            services:
              %s:
                image: x
                instances: {x-1: {ship: vm2}}
              %s:
                image: y
                requires: [%s]
                instances: {y-1: {ship: vm1}}
            """
            % (first, second, first)
        )
    assert info.value.key == "services." + second
    assert info.value.line == 8
    assert info.value.message.startswith("services %r and %r both give the variables %s_* " % (first, second, prefix))


def test_instances_giving_the_same_variable_names_are_refused(load_env):
    with pytest.raises(MaestroError) as info:
        load_env("""\
            name: clash
            ships: {vm1: {ip: 10.0.0.1}}
            services:
              zk: {image: x, instances: {zk-1: {ship: vm1}, zk_1: {ship: vm1}}}
            """)
    assert info.value.key == "services.zk.instances.zk_1"
    assert "'zk-1' and 'zk_1' both give the variables ZK_ZK_1_*" in info.value.message


def test_same_instance_prefix_in_two_services_is_fine(load_env):
    """x-1 and x.1 both give X_1, but in two services: A_X_1_HOST and B_X_1_HOST."""
    env = load_env("""\
        name: fine
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          a: {image: x, instances: {x-1: {ship: vm1}}}
          b: {image: x, requires: [a], instances: {x.1: {ship: vm1}}}
        """)
    assert env.instances["x.1"]["env"]["A_X_1_HOST"] == env.instances["x.1"]["env"]["B_X_1_HOST"] == "10.0.0.1"


# ---------------------------------------------------------------- services


def test_service_records_in_the_files_order():
    found, instances, dummy = read("""
        services:
          web:
            image: nginx
            requires: db
            wants_info: [metrics, logs]
            instances:
              web-2: {ship: vm2}
              web-1: {ship: vm1}
          db:
            image: postgres
            omit: true
            instances: {db-1: {ship: vm1}}
        """)
    assert list(found) == ["web", "db"]
    assert found["web"] == {
        "name": "web",
        "image": "nginx",
        "requires": ["db"],
        "wants_info": ["metrics", "logs"],
        "omit": False,
        "instances": ["web-2", "web-1"],
        "level": None,  # set once the environment is ordered
        "update": {"parallelism": 1, "delay": 0.0, "failure_action": "rollback"},  # no update: the defaults
    }
    assert found["db"]["omit"] is True
    assert list(instances) == ["web-2", "web-1", "db-1"]
    assert [instances[i]["service"] for i in instances] == ["web", "web", "db"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\n", "line 1: services: is required"),
        ("services: [web]\n", "line 2: services: must be a mapping, got a list"),
        ("services:\n  web: nginx\n", "line 3: services.web: must be a mapping, got a string"),
        ("services:\n  web: {instances: {web-1: {ship: vm1}}}\n", "line 3: services.web.image: is required"),
        ("services:\n  web: {image: x}\n", "line 3: services.web.instances: is required"),
        (
            "services:\n  web: {image: x, instances: }\n",
            "line 3: services.web.instances: must be a mapping, got nothing",
        ),
        (
            "services:\n  web: {image: x, instances: {}}\n",
            "line 3: services.web.instances: must define at least one instance",
        ),
        (
            "services:\n  web: {image: x, instances: [web-1]}\n",
            "line 3: services.web.instances: must be a mapping, got a list",
        ),
        (
            "services:\n  web: {image: x, instances: {web-1: vm1}}\n",
            "line 3: services.web.instances.web-1: must be a mapping, got a string",
        ),
        (
            "services:\n  web: {image: x, omit: 1, instances: {}}\n",
            "line 3: services.web.omit: must be true or false, got 1",
        ),
        (
            "services:\n  web: {image: x, requires: {db: 1}, instances: {}}\n",
            "line 3: services.web.requires: must be a string or a list of strings, got a mapping",
        ),
        (
            "services:\n  web: {image: x, limits: {memroy: 1g}, instances: {}}\n",
            "line 3: services.web.limits.memroy: unknown limits key 'memroy' (did you mean 'memory'?)",
        ),
    ],
)
def test_service_errors(text, message):
    assert error(text) == message


@pytest.mark.parametrize(
    "key, message",
    [
        ("require", "unknown service key 'require' (did you mean 'requires'?)"),
        ("ship", "unknown service key 'ship' (an instance setting: put it under each instance)"),
        ("volumes", "unknown service key 'volumes' (an instance setting: put it under each instance)"),
        ("restart", "unknown service key 'restart' (an instance setting: put it under each instance)"),
    ],
)
def test_unknown_service_keys(key, message):
    text = "services:\n  web:\n    image: x\n    %s: 1\n    instances: {web-1: {ship: vm1}}\n" % key
    assert error(text) == "line 5: services.web.%s: %s" % (key, message)


def test_every_instance_key_a_service_lacks_has_the_hint():
    assert sorted(services._SERVICE_HINTS) == sorted(
        {"ship", "command", "volumes", "container_volumes", "volumes_from", "links", "username", "privileged"}
        | {"cap_add", "cap_drop", "security_opt", "extra_hosts", "net", "restart", "dns", "stop_timeout"}
        | {"log_driver", "log_opt", "workdir", "ulimits", "labels"}
    )


# ---------------------------------------------------------------- instance names


@pytest.mark.parametrize("name", ["ab", "a1", "1a", "web-1", "Web_1.blue", "x.1", "00"])
def test_container_name_rule_accepts(name):
    assert services.CONTAINER_NAME.match(name)


@pytest.mark.parametrize("name", ["w", "-web", ".web", "_web", "web 1", "wéb", "web/1", "web:1", ""])
def test_container_name_rule_refuses(name):
    assert not services.CONTAINER_NAME.match(name)


def test_a_bad_instance_name_fails_on_its_line():
    assert error("services:\n  web:\n    image: x\n    instances:\n      -web: {ship: vm1}\n") == (
        "line 6: services.web.instances.-web: '-web' cannot be a container name: Docker allows "
        "[a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more, starting with a letter or digit)"
    )


def test_a_numeric_instance_name_is_its_text():
    found, instances, dummy = read("services:\n  web: {image: x, instances: {12: {ship: vm1}}}\n")
    assert found["web"]["instances"] == ["12"]
    assert instances["12"]["name"] == "12"


def test_duplicate_instance_names_across_services():
    assert error("""
        services:
          web: {image: x, instances: {node-1: {ship: vm1}}}
          db:
            image: y
            instances:
              node-1: {ship: vm2}
        """) == (
        "line 7: services.db.instances.node-1: duplicate instance name 'node-1' (already an instance of service 'web')"
    )


# ---------------------------------------------------------------- variable names


def test_variable_prefix_is_taken_once():
    taken = {}
    assert services._variable_prefix(taken, ("LOG_1",), "services", "log_1", ("services", "log_1"), {}) == ("LOG_1",)
    assert services._variable_prefix(taken, ("WEB",), "services", "web", ("services", "web"), {}) == ("WEB",)
    assert taken == {("services", "LOG_1"): "log_1", ("services", "WEB"): "web"}
    with pytest.raises(MaestroError) as info:
        services._variable_prefix(taken, ("LOG_1",), "services", "log.1", ("services", "log.1"), {})
    assert str(info.value) == (
        "services.log.1: services 'log_1' and 'log.1' both give the variables LOG_1_* "
        "(MaestroNG turns every non-word character into _); rename one"
    )


def test_instance_prefixes_include_their_service():
    assert error("""
        services:
          zk:
            image: x
            instances:
              zk-1: {ship: vm1}
              zk.1: {ship: vm1}
        """) == (
        "line 7: services.zk.instances.zk.1: instances 'zk-1' and 'zk.1' both give the variables ZK_ZK_1_* "
        "(MaestroNG turns every non-word character into _); rename one"
    )


def test_a_service_clash_is_found_before_the_service_is_read():
    assert error(
        "services:\n  a_b: {image: x, instances: {ab-1: {ship: vm1}}}\n  a.b: {image: x, instances: {}}\n"
    ) == (
        "line 4: services.a.b: services 'a_b' and 'a.b' both give the variables A_B_* "
        "(MaestroNG turns every non-word character into _); rename one"
    )


# ---------------------------------------------------------------- drafts


def test_drafts_keep_what_later_steps_need(tmp_path):
    (tmp_path / "web.env").write_text("FROM_FILE=1\nMODE=file\n")
    (tmp_path / "web-1.env").write_text("OWN_FILE=1\n")
    found, instances, drafts = read(
        """
        services:
          db: {image: y, instances: {db-1: {ship: vm1}}}
          web:
            image: x
            envfile: web.env
            env: {MODE: env}
            ports: {http: "80:8080"}
            limits: {memory: 1g}
            lifecycle:
              running: [{type: sleep, wait: 1}]
            instances:
              web-1: {ship: vm1, envfile: web-1.env, env: {OWN: 1}}
              web-2: {ship: vm2}
        """,
        folder=str(tmp_path),
    )
    web = drafts.services["web"]
    assert (web.path, web.index) == (("services", "web"), 1)
    assert drafts.services["db"].index == 0
    assert web.raw["image"] == "x"
    assert web.env == {"FROM_FILE": "1", "MODE": "env"}
    assert web.ports == {
        "http": {"name": "http", "exposed": "80", "external": "8080", "protocol": "tcp", "host_ip": "0.0.0.0"}
    }
    assert web.limits == {"memory": "1g"}  # as written: sizes are read per instance
    assert [(check["wait"], path) for check, path in web.lifecycle["running"]] == [
        (1, ("services", "web", "lifecycle", "running", 0))
    ]
    one = drafts.instances["web-1"]
    assert one.path == ("services", "web", "instances", "web-1")
    assert one.own_env == {"OWN_FILE": "1", "OWN": "1"}  # its own only: the service's come later
    assert drafts.instances["web-2"].own_env == {}
    assert sorted(drafts.instances) == ["db-1", "web-1", "web-2"]
    assert instances["web-1"]["env"] == {}  # composed after every instance is read (envvars.py)


def test_instances_of_two_services_giving_the_same_variable_names_are_refused(load_env):
    """Service a's instance b-11 and service a_b's instance 11 both give A_B_11_HOST: the whole
    name is compared, not its service and instance parts apart."""
    with pytest.raises(MaestroError) as info:
        load_env("""\
            name: clash
            ships: {vm1: {ip: 10.0.0.1}}
            services:
              a: {image: x, instances: {b-11: {ship: vm1}}}
              a_b: {image: x, instances: {"11": {ship: vm1}}}
            """)
    assert info.value.key == "services.a_b.instances.11"
    assert "instances 'b-11' and '11' both give the variables A_B_11_*" in info.value.message
