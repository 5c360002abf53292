"""The environment file as its section readers see it (model/file_context.py): where relative
paths start, the env files it names (each read once), env precedence, located warnings."""

import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import file_context, loader
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext


def parse(text):
    return loader.parse_yaml(textwrap.dedent(text).lstrip("\n"), "env.yaml")


@pytest.fixture
def context(tmp_path):
    return FileContext("env.yaml", str(tmp_path))


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- paths


def test_a_new_context_has_no_warnings(context, tmp_path):
    assert (context.file, context.folder, context.warnings) == ("env.yaml", str(tmp_path), [])


@pytest.mark.parametrize(
    "value, expected",
    [
        ("certs/ca.pem", "/srv/deploy/certs/ca.pem"),
        ("ca.pem", "/srv/deploy/ca.pem"),
        ("../keys/id", "/srv/deploy/../keys/id"),  # joined, not normalised
        ("/etc/docker/ca.pem", "/etc/docker/ca.pem"),
        ("", ""),
        (None, None),  # a key left out stays left out
    ],
)
def test_path_is_relative_to_the_files_folder(value, expected):
    assert FileContext("env.yaml", "/srv/deploy").path(value) == expected


def test_path_expands_the_home_folder(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ops")
    assert FileContext("env.yaml", "/srv/deploy").path("~/.docker/ca.pem") == "/home/ops/.docker/ca.pem"


# ---------------------------------------------------------------- env files


def test_env_files_in_order_as_a_string_or_a_list(context, tmp_path):
    write(tmp_path, "one.env", "A=1\nB=1\n")
    write(tmp_path, "conf/two.env", "B=2\n")
    assert context.env_files({"envfile": "one.env"}, ("s",)) == [{"A": "1", "B": "1"}]
    assert context.env_files({"envfile": ["conf/two.env", "one.env"]}, ("s",)) == [{"B": "2"}, {"A": "1", "B": "1"}]
    assert context.env_files({}, ("s",)) == []
    assert context.env_files({"envfile": None}, ("s",)) == []


def test_env_files_are_read_once(context, tmp_path, monkeypatch):
    write(tmp_path, "common.env", "COMMON=1\n")
    reads = []

    def counting(path, display, vault):
        reads.append((path, display))
        return loader.read_env_file(path, display, vault)

    monkeypatch.setattr(file_context, "read_env_file", counting)
    first = context.env_files({"envfile": "common.env"}, ("a",))
    second = context.env_files({"envfile": ["common.env", str(tmp_path / "common.env")]}, ("b",))
    assert reads == [(str(tmp_path / "common.env"), "common.env")]
    assert first == [{"COMMON": "1"}]
    assert second[0] is second[1] is first[0]  # one reading, shared


def test_env_file_error_points_at_envfile(context):
    doc = parse("""
        web:
          image: x
          envfile: missing.env
        """)
    with pytest.raises(MaestroError) as info:
        context.env_files(doc["web"], ("services", "web"))
    assert str(info.value) == (
        "line 3: services.web.envfile: cannot read env file missing.env: No such file or directory"
    )


def test_env_file_error_in_a_list_points_at_the_item(context, tmp_path):
    write(tmp_path, "good.env", "A=1\n")
    write(tmp_path, "bad.env", "A=1\n\nJUST_A_WORD\n")
    doc = parse("""
        web:
          envfile:
            - good.env
            - bad.env
        """)
    with pytest.raises(MaestroError) as info:
        context.env_files(doc["web"], ("services", "web"))
    assert (
        str(info.value) == "line 4: services.web.envfile.1: env file bad.env:3: expected KEY=value, got 'JUST_A_WORD'"
    )


def test_env_files_must_be_names(context):
    with pytest.raises(MaestroError) as info:
        context.env_files({"envfile": {"a": 1}}, ("s",))
    assert str(info.value) == "s.envfile: must be a string or a list of strings, got a mapping"


# ---------------------------------------------------------------- env


def test_env_files_then_env_which_wins(context, tmp_path):
    write(tmp_path, "one.env", "A=file-one\nB=file-one\nC=file-one\n")
    write(tmp_path, "two.env", "B=file-two\nC=file-two\n")
    parent = {"envfile": ["one.env", "two.env"], "env": {"C": "env", "D": [1, [2]], "E": None}}
    assert context.env(parent, ("s",)) == {"A": "file-one", "B": "file-two", "C": "env", "D": "1 2", "E": ""}


def test_env_without_files_or_env_is_empty(context):
    assert context.env({"image": "x"}, ("s",)) == {}


def test_env_error_is_located(context):
    doc = parse("""
        web:
          env:
            OK: 1
            JVM: {xmx: 1g}
        """)
    with pytest.raises(MaestroError) as info:
        context.env(doc["web"], ("services", "web"))
    assert str(info.value) == "line 4: services.web.env.JVM: must be a string or a list, got a mapping"


# ---------------------------------------------------------------- warnings


def test_warnings_are_located_lines(context):
    doc = parse("""
        __maestro:
          schema: {version: 1}
        """)
    context.warn("is read as schema 2", ("__maestro", "schema"), doc["__maestro"], "schema")
    context.warn("no line here", ("top",), {}, "top")
    assert context.warnings == [
        "env.yaml:2: __maestro.schema: is read as schema 2",
        "env.yaml: top: no line here",
    ]


# ---------------------------------------------------------------- through environment.load


def test_env_file_read_once_and_shared(load_env):
    env = load_env(
        """\
        name: shared
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          a: {image: x, envfile: common.env, instances: {a-1: {ship: vm1}}}
          b: {image: y, envfile: [common.env], instances: {b-1: {ship: vm1, envfile: common.env}}}
        """,
        files={"common.env": "COMMON=1\n"},
    )
    assert env.instances["a-1"]["env"]["COMMON"] == "1"
    assert env.instances["b-1"]["env"]["COMMON"] == "1"


def test_env_file_path_relative_to_environment_file(load_env):
    env = load_env(
        """\
        name: rel
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          a: {image: x, envfile: conf/a.env, instances: {a-1: {ship: vm1}}}
        """,
        name="deploy/env.yaml",
        files={"deploy/conf/a.env": "WHERE=deploy/conf\n"},
    )
    assert env.instances["a-1"]["env"]["WHERE"] == "deploy/conf"


def test_env_file_absolute_path(load_env, tmp_path):
    absolute = tmp_path / "abs.env"
    absolute.write_text("ABS=1\n")
    env = load_env(
        """\
        name: abs
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          a: {image: x, envfile: %s, instances: {a-1: {ship: vm1}}}
        """
        % absolute
    )
    assert env.instances["a-1"]["env"]["ABS"] == "1"
