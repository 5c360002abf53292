"""Files that MaestroNG 0.8.3 loads differently from a first reading of its docs, pinned to
what 0.8.3 itself gives (issue 17: a differential check against its Conductor), and the
differences this collection keeps on purpose (README, "Migrating from MaestroNG")."""

import os
import pathlib

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment

REPO = str(pathlib.Path(__file__).resolve().parents[5])


def one_instance(instance="", top="", service="", files=None):
    """Service `app` (image app:1) with instance `app-1` on `vm1`; extra YAML lines per level."""

    def block(text, indent):
        return "".join(" " * indent + line + "\n" for line in text.strip("\n").splitlines())

    return (
        block(top, 0)
        + "name: compat\nships: {vm1: {ip: 10.0.0.1}}\nservices:\n  app:\n    image: app:1\n"
        + block(service, 4)
        + "    instances:\n      app-1:\n        ship: vm1\n"
        + block(instance, 8)
    )


# ---------------------------------------------------------------- __maestro.schema
# MaestroNG 0.8.3 tests `schema == 1` and nothing else: no __maestro (or schema: 1) is
# schema 1, any other value is schema 2, a mapping such as {version: 1} included.


@pytest.mark.parametrize(
    "top, schema, volume",
    [
        ("", 1, {"source": "/b", "target": "/a", "mode": "rw"}),  # default: container: host
        ("__maestro: {schema: 1}", 1, {"source": "/b", "target": "/a", "mode": "rw"}),
        ("__maestro: {schema: 2}", 2, {"source": "/a", "target": "/b", "mode": "rw"}),
        ("__maestro: {schema: {version: 1}}", 2, {"source": "/a", "target": "/b", "mode": "rw"}),
        ("__maestro: {schema: {version: 2}}", 2, {"source": "/a", "target": "/b", "mode": "rw"}),
        ("__maestro: {schema: {}}", 2, {"source": "/a", "target": "/b", "mode": "rw"}),
    ],
)
def test_schema_as_maestro_083_reads_it(load_env, top, schema, volume):
    env = load_env(one_instance("volumes: {/a: /b}", top=top))
    assert env.schema == schema
    assert env.instances["app-1"]["volumes"] == [volume]


def test_schema_mapping_is_read_as_2_with_a_located_warning(write_env):
    path = write_env(one_instance(top="__maestro:\n  schema:\n    version: 1"))
    env = environment.load(path, environ={})
    assert env.warnings == [
        "%s:3: __maestro.schema: {version: 1} is read as schema 2 (volumes are host: container), as MaestroNG "
        "0.8.3 reads every schema but a plain 1; write schema: 2" % path
    ]


@pytest.mark.parametrize("top", ["", "__maestro: {schema: 1}", "__maestro: {schema: 2}"])
def test_plain_schemas_load_without_warnings(load_env, top):
    assert load_env(one_instance(top=top)).warnings == []


# ---------------------------------------------------------------- !!binary env values


def test_binary_env_value_is_its_text(load_env):
    # MaestroNG 0.8.3 gives `hello world`, not Python's `b'hello world'`.
    env = load_env(one_instance("env:\n  GREETING: !!binary aGVsbG8gd29ybGQ=\n  BOTH: [!!binary aGk=, there]"))
    assert env.instances["app-1"]["env"]["GREETING"] == "hello world"
    assert env.instances["app-1"]["env"]["BOTH"] == "hi there"


def test_binary_env_value_that_is_not_text_is_refused(load_env):
    with pytest.raises(MaestroError) as info:
        load_env(one_instance("env:\n  RAW: !!binary //4="))
    assert (info.value.key, info.value.line) == ("services.app.instances.app-1.env.RAW", 10)
    assert info.value.message == "a !!binary value must be UTF-8 text"


# ---------------------------------------------------------------- the demo loads in MaestroNG 0.8.3


@pytest.mark.parametrize("name", ["demo.yaml", "demo-local.yaml"])
def test_demo_files_use_no_merge_keys(name):
    """MaestroNG 0.8.3 cannot load `<<:` merge keys; plain anchors and aliases it can."""
    yaml = pytest.importorskip("yaml")
    path = os.path.join(REPO, "examples", name)
    with open(path, encoding="utf-8") as handle:
        root = yaml.compose(handle)
    merges, nodes = [], [root]
    while nodes:
        node = nodes.pop()
        if isinstance(node, yaml.MappingNode):
            merges += [key.start_mark.line + 1 for key, dummy in node.value if key.tag == "tag:yaml.org,2002:merge"]
            nodes += [value for dummy, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            nodes += node.value
    assert merges == []
    env = environment.load(path, environ={})
    commands = {inst["command"][2] for inst in env.instances.values()}
    assert commands == {"trap 'exit 0' TERM; httpd -f -p $PORT -h / & wait"}
    assert len(env.instances) == 8 and env.warnings == []


# ---------------------------------------------------------------- differences kept on purpose


def test_env_file_key_spaces_are_trimmed(load_env):
    # MaestroNG 0.8.3 keeps them: a variable named `KEY ` (no shell can read it), value ` value`.
    env = load_env(one_instance("envfile: app.env"), files={"app.env": "KEY = value\n"})
    assert env.instances["app-1"]["env"]["KEY"] == " value"
    assert "KEY " not in env.instances["app-1"]["env"]


def test_zero_padded_port_is_normalised(load_env):
    # MaestroNG 0.8.3 passes '0080' on, in the variables too.
    env = load_env(one_instance("ports: {http: '0080'}"))
    assert env.instances["app-1"]["ports"][0]["exposed"] == "80"
    assert env.instances["app-1"]["env"]["APP_APP_1_HTTP_PORT"] == "80"


def test_soft_only_ulimit_gets_the_same_hard_limit(load_env):
    # MaestroNG 0.8.3 leaves the hard limit out.
    env = load_env(one_instance("ulimits: {nofile: {soft: 1024}}"))
    assert env.instances["app-1"]["ulimits"] == [{"name": "nofile", "soft": 1024, "hard": 1024}]


def test_numbers_in_command_and_labels_are_strings(load_env):
    # MaestroNG 0.8.3 sends them as numbers; Docker's API takes only strings there.
    env = load_env(one_instance("command: [sleep, 10]\nlabels: {tier: 1}"))
    assert env.instances["app-1"]["command"] == ["sleep", "10"]
    assert env.instances["app-1"]["labels"] == {"tier": "1"}


def test_relative_tls_paths_are_taken_from_the_file_folder(tmp_path, write_env, monkeypatch):
    # MaestroNG 0.8.3 resolves them from the current directory.
    path = write_env(
        one_instance().replace("vm1: {ip: 10.0.0.1}", "vm1: {ip: 10.0.0.1, tls: true, tls_ca_cert: ca.pem}")
    )
    monkeypatch.chdir("/")
    env = environment.load(path, environ={})
    assert env.ships["vm1"]["tls_ca_cert"] == str(tmp_path / "ca.pem")
