"""Loading: Jinja2 rendering (env, include), stdin, strict YAML, lines, env files."""

import io
import os

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader

MINIMAL = """\
name: minimal
ships: {vm1: {ip: 10.0.0.1}}
services:
  web:
    image: nginx
    instances:
      web-1: {ship: vm1}
"""


# ---------------------------------------------------------------- templating


def test_template_reads_env_include_and_loops(fixture_path):
    env = environment.load(fixture_path("good", "templated.maestro"), environ={"WEB_TAG": "1.25", "WEB_COUNT": "3"})
    assert env.name == "templated"
    assert sorted(env.ships) == ["vm1", "vm2"]  # from includes/ships.yaml
    assert [env.instances[i]["ship"] for i in ("web-1", "web-2", "web-3")] == ["vm1", "vm2", "vm1"]
    assert env.instances["web-1"]["image"] == "nginx:1.25"
    assert env.instances["web-1"]["env"]["DOCKER_TAG"] == "1.25"


def test_template_undefined_renders_empty(fixture_path):
    env = environment.load(fixture_path("good", "templated.maestro"), environ={"ENV_NAME": "prod"})
    assert env.name == "prod"
    assert env.instances["web-1"]["image"] == "nginx:latest"
    assert env.instances["web-1"]["env"]["EMPTY"] == ""
    assert list(env.instances) == ["web-1", "web-2"]  # default(2)


def test_template_env_defaults_to_process_environment(fixture_path, monkeypatch):
    monkeypatch.setenv("WEB_TAG", "from-os")
    monkeypatch.setenv("ENV_NAME", "os-env")
    env = environment.load(fixture_path("good", "templated.maestro"))
    assert env.name == "os-env"
    assert env.instances["web-2"]["image"] == "nginx:from-os"


def test_env_value_substitution_like_maestro(write_env):
    # MaestroNG's own check: `foo: {{ env.BAR }}` renders to the variable's value.
    path = write_env(MINIMAL + "foo: {{ env.BAR }}\n")
    doc = loader.load_document(path, environ={"BAR": "bar"})
    assert doc["foo"] == "bar"


def test_include_is_relative_to_the_file_not_the_cwd(write_env, tmp_path, monkeypatch):
    path = write_env(
        """\
        name: nested
        {% include "parts/ships.yaml" %}
        services:
          web: {image: nginx, instances: {web-1: {ship: vm1}}}
        """,
        name="envs/prod.yaml",
        files={"envs/parts/ships.yaml": "ships:\n  vm1: {ip: 10.1.1.1}\n"},
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = environment.load(os.path.relpath(path), environ={})
    assert env.ships["vm1"]["ip"] == "10.1.1.1"


def test_jinja_comments_and_statements_vanish(write_env):
    path = write_env(MINIMAL + "{# a Jinja comment #}\n{% set n = 2 %}replicas: {{ n * 3 }}\n")
    doc = loader.load_document(path, environ={})
    assert doc["replicas"] == 6


def test_template_error_has_line(load_error):
    text = MINIMAL + "x: {{ env.A.B }}\n"
    assert load_error(text) == "env.yaml:8: template error: 'dict object' has no attribute 'A'"


# ---------------------------------------------------------------- stdin


def test_stdin_dash():
    env = environment.load("-", stdin=io.StringIO(MINIMAL), environ={})
    assert env.name == "minimal"
    assert env.file == "<stdin>"
    assert list(env.instances) == ["web-1"]


def test_stdin_errors_name_stdin():
    text = MINIMAL.replace("ship: vm1", "ship: vm2")
    with pytest.raises(MaestroError) as info:
        environment.load("-", stdin=io.StringIO(text), environ={})
    assert str(info.value) == "<stdin>:7: services.web.instances.web-1.ship: unknown ship 'vm2' (known: vm1)"


def test_stdin_relative_paths_use_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "ships.yaml").write_text("ships: {vm1: {ip: 10.9.9.9}}\n")
    (tmp_path / "web.env").write_text("FROM_FILE=yes\n")
    monkeypatch.chdir(tmp_path)
    text = (
        'name: piped\n{% include "ships.yaml" %}\n'
        "services: {web: {image: nginx, envfile: web.env, instances: {web-1: {ship: vm1}}}}\n"
    )
    env = environment.load("-", stdin=io.StringIO(text), environ={})
    assert env.ships["vm1"]["ip"] == "10.9.9.9"
    assert env.instances["web-1"]["env"]["FROM_FILE"] == "yes"


def test_stdin_reads_sys_stdin_by_default(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(MINIMAL))
    assert environment.load("-", environ={}).name == "minimal"


# ---------------------------------------------------------------- YAML


def test_unknown_top_level_keys_are_ignored(load_env):
    env = load_env("""\
        name: anchors
        _globals:
          image: &img nginx:1.25
          env: &common {TZ: UTC}
        whatever: [1, 2, 3]
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          web:
            image: *img
            env: *common
            instances: {web-1: {ship: vm1}}
        """)
    assert env.instances["web-1"]["image"] == "nginx:1.25"
    assert env.instances["web-1"]["env"]["TZ"] == "UTC"
    assert "_globals" not in env.to_dict()


def test_merge_keys_override_without_duplicate_error(load_env):
    env = load_env("""\
        name: merge
        _globals:
          base: &base {ship: vm1, stop_timeout: 5, restart: always}
        ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
        services:
          web:
            image: nginx
            instances:
              web-1: {<<: *base}
              web-2:
                <<: *base
                ship: vm2
                stop_timeout: 20
        """)
    assert env.instances["web-1"]["ship"] == "vm1"
    assert env.instances["web-2"]["ship"] == "vm2"
    assert env.instances["web-2"]["stop_timeout"] == 20
    assert env.instances["web-2"]["restart"]["name"] == "always"


def test_merge_list_first_mapping_wins():
    doc = loader.parse_yaml("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n", "f.yaml")
    assert doc["c"] == {"x": 1, "y": 2}


def test_duplicate_key_still_caught_next_to_a_merge():
    with pytest.raises(MaestroError) as info:
        loader.parse_yaml("a: &a {x: 1}\nc:\n  <<: *a\n  y: 1\n  y: 2\n", "f.yaml")
    assert str(info.value) == "f.yaml:5: c.y: duplicate key 'y' (first defined on line 4)"


def test_duplicate_key_in_a_list_item_has_full_path():
    with pytest.raises(MaestroError) as info:
        loader.parse_yaml("checks:\n  - type: tcp\n    port: a\n    port: b\n", "f.yaml")
    assert str(info.value) == "f.yaml:4: checks.0.port: duplicate key 'port' (first defined on line 3)"


def test_lines_are_recorded():
    doc = loader.parse_yaml("a: 1\nb:\n  c: 2\n  d:\n    - x\n    - y: 3\n", "f.yaml")
    assert doc.line == 1
    assert loader.line_of(doc, "a") == 1
    assert loader.line_of(doc, "b") == 3  # the line of the value
    assert loader.line_of(doc["b"], "d") == 5
    assert loader.line_of(doc["b"]["d"], 1) == 6
    assert loader.line_of(doc["b"], "missing") == 3  # falls back to the mapping's line
    assert loader.line_of({"plain": "dict"}, "plain") is None


def test_yaml_booleans_and_no_are_parsed_as_yaml_1_1():
    # MaestroNG reads files with PyYAML: a bare `no` is false (see restart tests).
    doc = loader.parse_yaml("a: no\nb: yes\nc: 'no'\n", "f.yaml")
    assert doc == {"a": False, "b": True, "c": "no"}


def test_empty_file_is_a_missing_name(write_env):
    path = write_env("# nothing\n")
    with pytest.raises(MaestroError) as info:
        environment.load(path)
    assert str(info.value) == path + ": name: environment name is missing"


def test_non_scalar_key(write_env):
    path = write_env("name: x\n? [a, b]\n: 1\n")
    with pytest.raises(MaestroError) as info:
        environment.load(path)
    assert str(info.value) == path + ":2: mapping keys must be scalars"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(MaestroError) as info:
        environment.load(str(path))
    assert str(info.value) == str(path) + ": not UTF-8 text (invalid continuation byte)"


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(MaestroError) as info:
        environment.load(str(tmp_path))
    assert str(info.value) == str(tmp_path) + ": cannot read environment file: Is a directory"


# ---------------------------------------------------------------- env files


def test_env_file_parsing(tmp_path):
    path = tmp_path / "app.env"
    path.write_text(
        "# comment line\n"
        "\n"
        "   \n"
        "PLAIN=value\n"
        "URL=postgres://u:p@db/x?a=b=c\n"  # split on the first '=' only
        "EMPTY=\n"
        "  SPACED  =  kept inside  \n"  # key trimmed; line stripped
        'QUOTED="not unquoted"\n'
        "#DISABLED=1\n"
        "PLAIN=last wins\n"
    )
    assert loader.read_env_file(str(path), "app.env") == {
        "PLAIN": "last wins",
        "URL": "postgres://u:p@db/x?a=b=c",
        "EMPTY": "",
        "SPACED": "  kept inside",
        "QUOTED": '"not unquoted"',
    }


@pytest.mark.parametrize("line", ["NOEQUALS", "=value"])
def test_env_file_bad_lines(tmp_path, line):
    path = tmp_path / "bad.env"
    path.write_text("OK=1\n" + line + "\n")
    with pytest.raises(MaestroError) as info:
        loader.read_env_file(str(path), "bad.env")
    assert str(info.value) == "env file bad.env:2: expected KEY=value, got %r" % line


def test_flow_mappings_alone_do_not_start_jinja(write_env, monkeypatch):
    import jinja2

    def refuse(*args, **kwargs):
        raise AssertionError("Jinja2 should not run on a file without {{, {% or {#")

    monkeypatch.setattr(jinja2, "Environment", refuse)
    path = write_env(MINIMAL)  # has '{' in flow mappings only
    assert environment.load(path, environ={}).name == "minimal"


def test_without_pyyaml_imports_and_says_so(write_env):
    """ansible-test's import test loads module_utils without PyYAML: importing must work,
    loading must fail with one clear line."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['yaml'] = None\n"  # `import yaml` now raises ImportError
        "from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader\n"
        "from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError\n"
        "assert not loader.HAS_YAML and 'yaml' in loader.YAML_IMPORT_ERROR\n"
        "try:\n"
        "    environment.load(sys.argv[1], environ={})\n"
        "except MaestroError as exc:\n"
        "    print(exc)\n"
    )
    path = write_env(MINIMAL)
    # the folder holding ansible_collections/ (collections/ in a checkout), as conftest.py put it on sys.path
    root = environment.__file__.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]
    proc = subprocess.run(
        [sys.executable, "-c", code, path],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=root),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        path + ": reading environment files needs the PyYAML Python library (pip install PyYAML): "
    ), proc.stdout
