"""The inventory and lookup plugins through the real ansible-inventory / ansible commands."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

ENV_FILE = """\
name: cli-test
ships:
  vm1: {ip: 10.1.0.1}
  vm2: {ip: 10.1.0.2, docker_port: 4243}
  vm3: {ip: 10.1.0.3, socket_path: /run/docker.sock}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: vm1, ports: {client: 2181}}
      zk-2: {ship: vm2, ports: {client: 2181}}
  kafka:
    image: kafka:2.8
    requires: [zookeeper]
    instances:
      kafka-1: {ship: vm2, ports: {broker: 9092}}
  tools:
    image: tools
    omit: true
    instances:
      tools-1: {ship: vm3}
"""


def plain(value):
    """ansible-inventory --list marks strings not trusted as templates (2.19); unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_list(source):
    return plain(json.loads(run("ansible-inventory", "-i", str(source), "--list").stdout))


def run(*args, cwd=ROOT, check=True, env_extra=None, **kw):
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json"
    )
    env.update(env_extra or {})
    proc = subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, check=False, **kw
    )
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (args, proc.returncode, proc.stdout, proc.stderr))
    return proc


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "cli.yaml"
    path.write_text(ENV_FILE)
    return path


def test_graph_of_an_environment_file(env_file):
    out = run("ansible-inventory", "-i", str(env_file), "--graph").stdout
    assert "@zookeeper:\n  |  |--vm1\n  |  |--vm2" in out
    assert "@kafka:\n  |  |--vm2" in out
    assert "@maestro:" in out and "vm3" in out


def test_demo_graph_from_the_repo_root():
    out = run("ansible-inventory", "-i", "examples/demo.yaml", "--graph").stdout
    for group in ("@zookeeper:", "@kafka:", "@web:"):
        assert group in out


def test_a_maestro_named_environment_file_is_read_by_the_inventory_and_the_lookup(tmp_path):
    # The lookup reads any name; -i used to skip a `.maestro` file (a Jinja2 one, not YAML as it stands).
    path = tmp_path / "templated.maestro"
    path.write_text("{% set zk = 'zookeeper' %}\n" + ENV_FILE.replace("  zookeeper:", "  {{ zk }}:"))
    out = run("ansible-inventory", "-i", str(path), "--graph").stdout
    assert "@zookeeper:\n  |  |--vm1\n  |  |--vm2" in out
    expr = "{{ lookup('maestro.ng.environment', '%s').name }}" % path
    assert '"msg": "cli-test"' in run("ansible", "localhost", "-m", "ansible.builtin.debug", "-a", "msg=" + expr).stdout


def test_schema_mapping_warns_once_with_file_and_line(env_file):
    env_file.write_text("__maestro: {schema: {version: 1}}\n" + ENV_FILE)
    proc = run("ansible-inventory", "-i", str(env_file), "--graph")
    assert proc.stderr.count("%s:1: __maestro.schema: {version: 1} is read as schema 2" % env_file) == 1, proc.stderr


def test_list_host_variables(env_file):
    data = inventory_list(env_file)
    vm2 = data["_meta"]["hostvars"]["vm2"]
    assert vm2["ansible_host"] == "10.1.0.2"
    assert vm2["ansible_connection"] == "local"
    assert vm2["maestro_docker_url"] == "tcp://10.1.0.2:4243"
    assert vm2["maestro_instances"] == ["zk-2", "kafka-1"]
    assert vm2["maestro_instance_specs"]["kafka-1"]["env"]["ZOOKEEPER_ZK_1_CLIENT_PORT"] == "2181"
    assert data["_meta"]["hostvars"]["vm3"]["maestro_docker_url"] == "unix:///run/docker.sock"
    assert sorted(data["kafka"]["hosts"]) == ["vm2"]
    assert data["maestro"]["hosts"] == ["vm1", "vm2", "vm3"]


def test_dependency_levels_and_safe_groups(tmp_path):
    (tmp_path / "env.yaml").write_text(
        "name: levels\n"
        "ships: {vm1: {ip: 10.1.0.1}, vm2: {ip: 10.1.0.2}}\n"
        "services:\n"
        "  zoo-keeper.v3:\n"
        "    image: zk\n"
        "    instances: {zk-1: {ship: vm1}, zk-2: {ship: vm1, volumes_from: [zk-1]}}\n"
        "  kafka: {image: k, requires: [zoo-keeper.v3], instances: {kafka-1: {ship: vm2}}}\n"
        "  web: {image: w, wants_info: [kafka], instances: {web-1: {ship: vm1}}}\n"
    )
    data = plain(json.loads(run("ansible-inventory", "-i", str(tmp_path / "env.yaml"), "--list", "--export").stdout))
    # The order start.yml uses (zk-2 takes volumes from zk-1: zoo-keeper.v3 spans two levels).
    assert data["maestro"]["vars"]["maestro_levels"] == [["zoo-keeper.v3"], ["zoo-keeper.v3"], ["kafka"], ["web"]]
    assert data["maestro"]["children"] == ["maestro_level_0", "maestro_level_1", "maestro_level_2", "maestro_level_3"]
    assert data["maestro_level_0"]["children"] == ["maestro_service_zoo_keeper_v3"]
    assert data["maestro_level_2"]["children"] == ["maestro_service_kafka"]
    # Each service: its own name and a name a play can use, both with its (first) level.
    for group, hosts, level in (
        ("zoo-keeper.v3", ["vm1"], 0),
        ("maestro_service_zoo_keeper_v3", ["vm1"], 0),
        ("kafka", ["vm2"], 2),
        ("maestro_service_kafka", ["vm2"], 2),
        ("maestro_service_web", ["vm1"], 3),
    ):
        assert data[group]["hosts"] == hosts and data[group]["vars"] == {"maestro_level": level}, group
    graph = run("ansible-inventory", "-i", str(tmp_path / "env.yaml"), "--graph").stdout
    assert "@maestro_level_2:\n  |  |  |--@maestro_service_kafka:\n  |  |  |  |--vm2" in graph, graph
    # A play can name the safe group.
    proc = run(
        "ansible", "-i", str(tmp_path / "env.yaml"), "maestro_service_zoo_keeper_v3:&maestro_level_1", "--list-hosts"
    )
    assert proc.stdout.split()[-1] == "vm1" and "hosts (1)" in proc.stdout, proc.stdout


def test_services_whose_safe_group_names_clash(tmp_path):
    # my-web and my.web are refused by the model (their variables clash); a non-ASCII letter
    # stays in a variable name but not in a group name.
    (tmp_path / "env.yaml").write_text(
        "name: clash\nships: {vm1: {ip: 10.1.0.1}}\nservices:\n"
        "  web-\u00fc: {image: w, instances: {a-1: {ship: vm1}}}\n"
        "  web-_: {image: w, instances: {b-1: {ship: vm1}}}\n",
        encoding="utf-8",
    )
    proc = run("ansible-inventory", "-i", str(tmp_path / "env.yaml"), "--list")
    data = plain(json.loads(proc.stdout))
    assert "maestro_service_web__" not in data and data["web-_"]["hosts"] == ["vm1"]
    assert "both make the group maestro_service_web__" in proc.stderr, proc.stderr


def test_config_file_with_constructed_options(env_file, tmp_path):
    config = tmp_path / "maestro.yml"
    config.write_text(
        "plugin: maestro.ng.maestro\n"
        "environment: cli.yaml\n"
        "compose:\n  docker: maestro_docker_url\n"
        "groups:\n  big: maestro_instances | length > 1\n"
        "keyed_groups:\n  - key: maestro_docker_timeout | string\n    prefix: timeout\n"
    )
    data = inventory_list(config)
    assert data["_meta"]["hostvars"]["vm1"]["docker"] == "tcp://10.1.0.1:2375"
    assert data["big"]["hosts"] == ["vm2"]
    assert sorted(data["timeout_60"]["hosts"]) == ["vm1", "vm2", "vm3"]


def test_ssh_connection_uses_the_local_socket(env_file, tmp_path):
    config = tmp_path / "maestro.yml"
    config.write_text("plugin: maestro.ng.maestro\nenvironment: %s\nconnection: ssh\n" % env_file)
    hostvars = inventory_list(config)["_meta"]["hostvars"]
    assert hostvars["vm1"]["maestro_docker_url"] == "unix:///var/run/docker.sock"
    assert "ansible_connection" not in hostvars["vm1"]


def test_ssh_connection_host_vars(tmp_path):
    (tmp_path / "env.yaml").write_text(
        "name: ssh-hosts\n"
        "ships:\n"
        "  t1: {ip: 10.1.0.1, endpoint: admin1, ssh_tunnel: {user: ops, key: keys/ops, port: 2222}}\n"
        "  s2: {ip: 10.1.0.2, tls_verify: true, tls_ca_cert: /ca.pem}\n"
        "services:\n"
        "  web: {image: w, instances: {web-1: {ship: t1}, web-2: {ship: s2}}}\n"
    )
    config = tmp_path / "maestro.yml"
    config.write_text(
        "plugin: maestro.ng.maestro\nenvironment: env.yaml\nconnection: ssh\n"
        "ssh_docker_url: unix:///run/d.sock\n"
        "compose:\n  ansible_python_interpreter: \"'/opt/venv/bin/python'\"\n"
    )
    hostvars = inventory_list(config)["_meta"]["hostvars"]
    t1, s2 = hostvars["t1"], hostvars["s2"]
    # The ssh_tunnel's address and credentials log Ansible in; the module uses the ship's own socket.
    assert (t1["ansible_host"], t1["ansible_user"], t1["ansible_port"]) == ("admin1", "ops", 2222)
    assert t1["ansible_ssh_private_key_file"] == str(tmp_path / "keys" / "ops")
    assert t1["maestro_docker_url"] == "unix:///run/d.sock"
    assert t1["ansible_python_interpreter"] == "/opt/venv/bin/python"
    assert s2["ansible_host"] == "10.1.0.2" and "ansible_user" not in s2
    # The controller's TLS files and tunnels mean nothing on the ship's socket.
    assert (s2["maestro_docker_tls"], s2["maestro_docker_tls_verify"], s2["maestro_docker_ca_cert"]) == (
        False,
        False,
        None,
    )
    assert t1["maestro_docker_ssh_tunnel"] is None

    # The default local connection: maestro.ng.container gets the tunnel to make.
    local = inventory_list(tmp_path / "env.yaml")["_meta"]["hostvars"]
    assert local["t1"]["maestro_docker_url"] == "ssh://ops@admin1:2222"
    assert local["t1"]["maestro_docker_ssh_tunnel"] == {
        "host": "admin1",
        "user": "ops",
        "port": 2222,
        "key": str(tmp_path / "keys" / "ops"),
        "target": "127.0.0.1:2375",
        "timeout": None,
    }
    assert local["s2"]["maestro_docker_ssh_tunnel"] is None


def test_bad_environment_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ENV_FILE.replace("ship: vm2, ports: {broker", "ship: vm9, ports: {broker"))
    proc = run("ansible-inventory", "-i", str(bad), "--list", check=False)
    assert proc.returncode != 0 or "Unable to parse" in proc.stderr
    assert (
        "bad.yaml:16: services.kafka.instances.kafka-1.ship: unknown ship 'vm9' (known: vm1, vm2, vm3)" in proc.stderr
    )


def test_lookup_through_ansible(env_file):
    expr = "{{ lookup('maestro.ng.environment', '%s', services=['kafka']) | to_json }}" % env_file
    proc = run("ansible", "localhost", "-m", "ansible.builtin.debug", "-a", "msg=" + expr)
    payload = proc.stdout.split("=>", 1)[1]
    data = json.loads(payload)["msg"]
    data = json.loads(data) if isinstance(data, str) else data
    assert data["name"] == "cli-test"
    assert data["selected"] == ["zk-1", "zk-2", "kafka-1"]
    assert [lvl["services"] for lvl in data["levels"]] == [["zookeeper"], ["kafka"]]
    assert data["ships"]["vm2"]["docker_url"] == "tcp://10.1.0.2:4243"
    assert data["instances"]["kafka-1"]["env"]["KAFKA_INSTANCES"] == "kafka-1"
    assert "tools-1" not in data["instances"]


def test_lookup_error_names_file_line_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ENV_FILE.replace("requires: [zookeeper]", "requires: [zookeper]"))
    expr = "{{ lookup('maestro.ng.environment', '%s') }}" % bad
    proc = run("ansible", "localhost", "-m", "ansible.builtin.debug", "-a", "msg=" + expr, check=False)
    assert proc.returncode != 0
    assert "bad.yaml:14: services.kafka.requires: unknown service 'zookeper'" in proc.stdout + proc.stderr


def test_module_defaults_groups_set_env_once(env_file, tmp_path):
    """meta/runtime.yml's action groups: group/maestro.ng.environment gives env to the modules that read an
    environment file (here plan, which needs no ship), group/maestro.ng.docker the container module's connection."""
    play = tmp_path / "defaults.yml"
    play.write_text(
        """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/maestro.ng.environment:
      env: %s
  tasks:
    - name: The levels, with env from the group's defaults
      maestro.ng.plan:
        services: [kafka]
      register: levels
    - name: What the container module got from its group's defaults
      maestro.ng.container:
        name: x-1
        image: busybox:1
      module_defaults:
        group/maestro.ng.docker:
          docker_url: tcp://127.0.0.1:9
      register: refused
      failed_when: "'127.0.0.1:9' not in refused.msg"
    - name: Show
      ansible.builtin.debug:
        msg: "levels={{ levels.levels | map(attribute='services') | map('join', ',') | join('|') }}"
"""
        % env_file
    )
    out = run("ansible-playbook", str(play)).stdout
    assert '"msg": "levels=zookeeper|kafka"' in out, out
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    modules = {path.stem for path in (ROOT / "plugins" / "modules").glob("*.py")}
    assert set(runtime["action_groups"]["environment"]) | set(runtime["action_groups"]["docker"]) == modules


@pytest.mark.parametrize(
    "config",
    [
        "plugin: maestro.ng.maestro  # an AWX inventory source\nenvironment: cli.yaml  # beside it\n",
        '{"plugin": "maestro.ng.maestro", "environment": "cli.yaml"}\n',
        "{plugin: maestro.ng.maestro, environment: cli.yaml}\n",
    ],
    ids=["comments", "json", "flow"],
)
def test_config_files_as_awx_writes_them(env_file, config):
    source = env_file.parent / "source.yml"
    source.write_text(config)
    assert sorted(inventory_list(source)["maestro"]["hosts"]) == ["vm1", "vm2", "vm3"]


# The environment's name as the jsonfile cache holds it (its document inside a JSON string).
MARK = '\\"name\\": \\"cached\\"'


def test_the_cache_serves_a_second_read_until_a_file_changes_and_holds_no_password(tmp_path):
    (tmp_path / "app.env").write_text("MODE=one\n")
    (tmp_path / "ships.j2").write_text("ships:\n  vm1: {ip: 10.1.0.1}\n")
    (tmp_path / "env.yaml").write_text(
        "name: cached\n{% include 'ships.j2' %}\n"
        "registries:\n  quay: {registry: 'https://quay.io', username: me, password: hunter2-cache}\n"
        "services:\n  app:\n    image: quay.io/me/app:1\n    envfile: app.env\n    instances: {app-1: {ship: vm1}}\n"
    )
    cache = tmp_path / "cache"
    source = tmp_path / "inventory.yml"
    source.write_text(
        "plugin: maestro.ng.maestro  # AWX-style\nenvironment: env.yaml\ncache: true\n"
        "cache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n" % cache
    )

    def read():
        """The environment's name, app-1's MODE and the registries, as the ship's variables have them."""
        ship = inventory_list(source)["_meta"]["hostvars"]["vm1"]
        return (
            ship["maestro_environment"],
            ship["maestro_instance_specs"]["app-1"]["env"]["MODE"],
            ship["maestro_registries"],
        )

    name, mode, registries = read()
    assert (name, mode, registries["quay"]["password"]) == ("cached", "one", "hunter2-cache")
    [entry] = list(cache.iterdir())
    text = entry.read_text()
    assert "hunter2" not in text and MARK in text
    # A second read comes from the cache: what the cache says wins (the password still from the file).
    entry.write_text(text.replace(MARK, MARK.replace("cached", "from-the-cache")))
    assert read() == ("from-the-cache", "one", registries)
    for path, old, new in (
        ("app.env", "MODE=one", "MODE=two"),
        ("ships.j2", "10.1.0.1", "10.1.0.9"),
        ("env.yaml", "image: quay.io/me/app:1", "image: quay.io/me/app:2"),
    ):
        entry.write_text(entry.read_text().replace(MARK, MARK.replace("cached", "from-the-cache")))
        assert read()[0] == "from-the-cache"
        target = tmp_path / path
        target.write_text(target.read_text().replace(old, new))
        assert read()[:2] == ("cached", "two"), path  # any change of what it depends on: read again


def test_the_demo_runs_ansible_without_cryptographys_dsa_warning(tmp_path):
    """examples/demo.sh (make demo) filters the deprecation warning ansible-core's imports raise."""
    line = next(line for line in (ROOT / "examples" / "demo.sh").read_text().splitlines() if "PYTHONWARNINGS=" in line)
    filtered = re.search(r'PYTHONWARNINGS="([^$"]*)', line).group(1)
    play = tmp_path / "empty.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks: []\n")
    proc = run("ansible-playbook", str(play), env_extra={"PYTHONWARNINGS": filtered})
    assert "DSA is deprecated" not in proc.stdout + proc.stderr


def test_vault_values_through_the_lookup_and_a_wholly_encrypted_inventory(tmp_path):
    """The lookup opens a !vault value with ansible's --vault-password-file and gives it back as a vault value,
    apart from the spec; ansible-inventory takes an environment file encrypted whole (README "Secrets")."""
    (tmp_path / "pw").write_text("the-password\n")
    vault = ("--vault-password-file", str(tmp_path / "pw"))
    block = run("ansible-vault", "encrypt_string", *vault, "clear-db-secret", "--name", "DB").stdout
    value = block[block.index("!vault") :].rstrip().replace("\n", "\n  ")
    (tmp_path / "env.yaml").write_text(
        "name: vt\nships: {vm1: {ip: 10.1.0.1}}\nservices:\n  db:\n    image: pg:16\n    env:\n      DB: %s\n"
        "    instances: {db-1: {ship: vm1}}\n" % value.replace("\n  ", "\n        ")
    )
    lookup = "lookup('maestro.ng.environment','%s')" % (tmp_path / "env.yaml")
    shown = run(
        "ansible", "localhost", "-m", "ansible.builtin.debug", "-a", "var=" + lookup + ".instances", *vault
    ).stdout
    assert "clear-db-secret" not in shown and '"DB": "********"' in shown, shown
    used = run(
        "ansible",
        "localhost",
        "-m",
        "ansible.builtin.debug",
        "-a",
        "msg={{ %s.secrets['db-1'].env.DB }}" % lookup,
        *vault,
    ).stdout
    assert '"msg": "clear-db-secret"' in used, used  # decrypted where a task uses it

    run("ansible-vault", "encrypt", *vault, str(tmp_path / "env.yaml"))
    listed = json.loads(run("ansible-inventory", "-i", str(tmp_path / "env.yaml"), "--list", *vault).stdout)
    host = listed["_meta"]["hostvars"]["vm1"]
    assert plain(host["maestro_instance_specs"]["db-1"]["env"]["DB"]) == "********"
    assert "__ansible_vault" in host["maestro_instance_secrets"]["db-1"]["env"]["DB"]
    missing = run("ansible-inventory", "-i", str(tmp_path / "env.yaml"), "--list", check=False)
    assert "the file is vault-encrypted, but no vault password was given" in missing.stderr, missing.stderr
