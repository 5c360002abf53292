# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: maestro
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: MaestroNG environment ships as hosts, services as groups
description:
  - Reads a MaestroNG environment file, either given directly to C(-i) (when this plugin is enabled, as the
    repository's C(ansible.cfg) does) or through a small config file whose C(plugin) is C(maestro.ng.maestro).
  - A file given to C(-i) is read when its name ends in C(.yml), C(.yaml) or C(.maestro) (as the lookup
    reads any name) and it has top-level C(ships) and C(services) keys, or C(plugin) set to this plugin.
  - Every ship becomes a host named as the ship, with C(ansible_host) set to its C(ip). Every service becomes
    a group of the ships that run its instances. All ships are also in the group C(maestro).
  - Host variables give each ship's Docker URL, TLS and SSH tunnel settings (C(maestro_docker_*)), the names of the
    instances it runs (C(maestro_instances)) and their full container specs (C(maestro_instance_specs)).
  - The group C(maestro) has the environment's name (C(maestro_environment)), file (C(maestro_env_file)) and
    C(registries) section (C(maestro_registries), the M(maestro.ng.container) option C(registries)).
    C(maestro_registries) holds the registry passwords; do not print it (C(ansible-inventory --list) and
    C(--host) show it).
  - Vault data in the environment file (C(!vault) values; the file, a template it includes or an C(envfile)
    encrypted by C(ansible-vault encrypt)) is opened with the run's vault secrets (C(--vault-id),
    C(--vault-password-file), C(--ask-vault-pass), C(ANSIBLE_VAULT_PASSWORD_FILE)). Its values stay vault values
    in the variables, which Ansible decrypts where a task uses them (C(ansible-inventory --list) shows them
    encrypted). An instance's are apart from its spec, in C(maestro_instance_secrets[NAME]), shaped as the spec
    (where the spec shows C(********)); registry passwords stay in C(maestro_registries). An environment with
    vault data is never cached.
  - The dependency order, the one the C(start) playbook uses - C(maestro_levels) on the group C(maestro) is the
    list of levels, first to last, each a list of service names (a service whose instances take volumes from
    each other spans several levels and is in each); each service's groups have C(maestro_level), its first
    level (0-based, its index in C(maestro_levels)); and the group C(maestro_level_<N>), a child of C(maestro),
    has as children the C(maestro_service_*) groups of level N's services.
  - Every service also has the group C(maestro_service_<S>), S being the service's name with every character other
    than a letter, digit or C(_) made C(_) (C(my-web.v2) gives C(maestro_service_my_web_v2)), which any play can
    name safely. When two services give the same name, neither gets it (with a warning).
  - The C(maestro.ng.site) playbook (C(playbooks/site.yml)) runs the whole environment over these hosts, level by
    level across the ships, with the C(maestro.ng.service) role.
  - By default ships use C(ansible_connection=local), because the controller talks to each ship's Docker API.
    To run on the ships over SSH against their local Docker socket instead, set O(connection=ssh); the
    Docker URL then becomes O(ssh_docker_url), without TLS, C(ansible_host) becomes the ship's C(endpoint)
    (its C(ip) unless set), and a ship's C(ssh_tunnel) gives C(ansible_user), C(ansible_port) and
    C(ansible_ssh_private_key_file). The ships then need Python with the C(docker) SDK (point
    C(ansible_python_interpreter) at it, e.g. with O(compose)).
  - A config file is YAML or JSON (comments and flow style too), as AWX and Automation Controller inventory
    sources write them.
  - With O(cache) (and a C(cache_plugin), e.g. C(ansible.builtin.jsonfile)), a second read is served from the
    cache while the environment file, what its templates include and the env files it names are unchanged; any
    change reads them again. The cache never holds a registry password - an environment with some reads its
    C(registries) section again on every read.
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin (config file form only).
    type: str
    choices: [maestro.ng.maestro]
  environment:
    description: Path of the environment file; a relative path is taken from the config file's folder.
    type: str
  connection:
    description: How Ansible reaches a ship host.
    type: str
    default: local
    choices: [local, ssh]
  ssh_docker_url:
    description: Docker URL used on the ship itself when O(connection=ssh); O(compose) can set
      C(maestro_docker_url) per ship instead.
    type: str
    default: unix:///var/run/docker.sock
"""

EXAMPLES = r"""
# Give the environment file straight to -i (ansible.cfg enables the plugin):
#   ansible-inventory -i examples/demo.yaml --graph
# and run it, level by level across the ships:
#   ansible-playbook -i examples/demo.yaml maestro.ng.site -e state=started

# Or a config file, e.g. maestro.yml:
plugin: maestro.ng.maestro
environment: examples/demo.yaml
connection: local
keyed_groups:
  - key: maestro_ship.ip | regex_replace('\.\d+$', '')
    prefix: net
compose:
  docker_url: maestro_docker_url

# Or work on the ships themselves over SSH (maestro.ng.instances then talks to each ship's
# own Docker socket; the ships need Python with the docker SDK), e.g. maestro-ssh.yml:
#   plugin: maestro.ng.maestro
#   environment: examples/demo.yaml
#   connection: ssh
#   compose:
#     ansible_python_interpreter: "'/opt/maestro/venv/bin/python'"
"""

import hashlib
import math
import os
import re

import yaml
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.template import trust_as_template

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import registries_section
from ansible_collections.maestro.ng.plugins.module_utils.model.loader import (
    SUFFIXES,
    load_document,
    read_source,
    render,
)
from ansible_collections.maestro.ng.plugins.module_utils.model.vault import is_vaulted, split_all
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load
from ansible_collections.maestro.ng.plugins.plugin_utils.vault import vaulted

# .maestro too: the lookup reads any name, and a file with Jinja2 statements is not YAML as it stands.
_ENV_KEYS = re.compile(r"^(ships|services)\s*:", re.MULTILINE)
# What of a loaded environment the inventory is made of, as the cache keeps it.
_CACHED = ("name", "ships", "instances", "levels", "registries", "warnings")


def _plugin_config(text):
    """Whether ``text`` is a config file of this plugin: YAML or JSON (comments and flow style too), a mapping
    whose plugin is this one."""
    if "maestro.ng.maestro" not in text:
        return False
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and data.get("plugin") == "maestro.ng.maestro"


def _fingerprint(env_path, files):
    """What the inventory of ``env_path`` depends on: its text as rendered (what its templates include and the
    variables they read, inside) and the env files it read (each file's modification time and size)."""
    text = render(read_source(env_path), env_path)
    stamps = {}
    for path in files:
        try:
            stat = os.stat(path)
            stamps[path] = [stat.st_mtime_ns, stat.st_size]
        except OSError:
            stamps[path] = None
    return {"text": hashlib.sha256(text.encode("utf-8")).hexdigest(), "files": stamps}


class _Cached:
    """An environment as the inventory cache keeps it: what the inventory is made of (_CACHED, and the
    services by name), registry passwords left out."""

    def __init__(self, data):
        for key in _CACHED:
            setattr(self, key, data[key])
        self.services = {service["name"]: service for service in data["services"]}


def _tunnel_option(ship):
    """maestro.ng.container's ssh_tunnel option for a ship with MaestroNG's ssh_tunnel, else None."""
    tunnel = ship["ssh_tunnel"]
    if not tunnel:
        return None
    return {
        "host": ship["endpoint"],
        "user": tunnel["user"],
        "port": tunnel["port"],
        "key": tunnel["key"],
        "target": ship["socket_path"] or "127.0.0.1:%d" % ship["docker_port"],
        "timeout": None if ship["ssh_timeout"] is None else int(math.ceil(ship["ssh_timeout"])),
    }


def safe_group_name(service):
    """The group a play can name for a service: maestro_service_ and the name with every
    character other than a letter, digit or _ made _ (my-web.v2: maestro_service_my_web_v2)."""
    return "maestro_service_" + re.sub(r"[^A-Za-z0-9_]", "_", service)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "maestro.ng.maestro"

    def verify_file(self, path):
        if not super().verify_file(path) or not path.endswith(SUFFIXES):
            return False
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read(1 << 20)
        except (OSError, UnicodeDecodeError):
            return False
        # A file ansible-vault encrypted as a whole is taken on its name: parse() says if it is no environment.
        return _plugin_config(text) or len(set(_ENV_KEYS.findall(text))) == 2 or is_vaulted(text)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        with open(path, encoding="utf-8") as handle:
            is_config = _plugin_config(handle.read(1 << 20))
        if is_config:
            self._read_config_data(path)
            env_path = self.get_option("environment")
            if not env_path:
                raise AnsibleParserError("%s: 'environment' is required" % path)
            env_path = os.path.expanduser(env_path)
            if not os.path.isabs(env_path):
                env_path = os.path.join(os.path.dirname(path), env_path)
        else:
            env_path = path
            self._consume_options({})
            if self.get_option("cache"):
                self.load_cache_plugin()
        env_path = os.path.abspath(env_path)
        try:
            env = self._environment(env_path, cache and self.get_option("cache"))
        except MaestroError as exc:
            raise AnsibleParserError(str(exc)) from None
        self._populate(env, env_path)

    def _environment(self, env_path, use_cache):
        """The environment at ``env_path``: from the cache when it is on and nothing it depends on changed
        (registry passwords read again from the file), else loaded, and then kept in the cache when it is on."""
        key = self.get_cache_key(env_path)
        if use_cache:
            cached = self._cache.get(key)
            if cached and cached["fingerprint"] == _fingerprint(env_path, list(cached["fingerprint"]["files"])):
                env = _Cached(cached)
                for warning in env.warnings:
                    self.display.warning(warning)
                if cached["passwords"]:
                    env.registries = registries_section.read(load_document(env_path))
                return env
        env = load(env_path, self.loader)
        if self.get_option("cache") and not env.secrets:  # vault data is opened afresh each time
            data = {key: getattr(env, key) for key in _CACHED}
            data["services"] = list(env.services.values())
            data["registries"] = {name: dict(registry, password=None) for name, registry in env.registries.items()}
            data["passwords"] = any(registry.get("password") for registry in env.registries.values())
            data["fingerprint"] = _fingerprint(env_path, env.files)
            self._cache[key] = data
        return env

    def _populate(self, env, env_path):
        inventory = self.inventory
        ssh = self.get_option("connection") == "ssh"
        inventory.add_group("maestro")
        inventory.set_variable("maestro", "maestro_environment", env.name)
        inventory.set_variable("maestro", "maestro_env_file", env_path)
        # Passwords inside (vault values stay vault values): the service role passes them to
        # maestro.ng.instances with no_log.
        inventory.set_variable("maestro", "maestro_registries", vaulted(env.registries, self.loader))
        # An instance's vault values are apart from its spec, as vault values (the service role passes them).
        specs, secrets = split_all(env.instances)
        by_ship = {}
        for name, spec in specs.items():
            by_ship.setdefault(spec["ship"], {})[name] = spec
        for name, ship in env.ships.items():
            inventory.add_host(name, group="maestro")
            host_vars = {
                "ansible_host": ship["ip"],
                # Strings set here are not trusted as templates (ansible-core 2.19), so
                # env values that look like Jinja stay data.
                "maestro_ship": ship,
                "maestro_docker_url": ship["docker_url"],
                "maestro_docker_tls": ship["tls"],
                "maestro_docker_tls_verify": ship["tls_verify"],
                "maestro_docker_ca_cert": ship["tls_ca_cert"],
                "maestro_docker_client_cert": ship["tls_cert"],
                "maestro_docker_client_key": ship["tls_key"],
                "maestro_docker_api_version": ship["api_version"],
                "maestro_docker_timeout": ship["timeout"],
                "maestro_docker_ssh_tunnel": _tunnel_option(ship),
                "maestro_instances": list(by_ship.get(name, {})),
                "maestro_instance_specs": by_ship.get(name, {}),
                "maestro_instance_secrets": vaulted(
                    {inst: secrets[inst] for inst in by_ship.get(name, {}) if inst in secrets}, self.loader
                ),
            }
            if ssh:
                host_vars.update(self._ssh_vars(ship))
            else:
                host_vars["ansible_connection"] = "local"
                # The controller's Python has the docker SDK; ship hosts are the controller here.
                host_vars["ansible_python_interpreter"] = trust_as_template("{{ ansible_playbook_python }}")
            for key, value in host_vars.items():
                inventory.set_variable(name, key, value)
            strict = self.get_option("strict")
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)
        self._add_services(env)

    def _add_services(self, env):
        """A group per service (its name, and maestro_service_<name> that a play can name
        whatever characters the name has) and the dependency order: maestro_levels on the
        group maestro, maestro_level on each service's groups, and a group maestro_level_<N>
        per level whose children are the groups maestro_service_* of its services."""
        inventory = self.inventory
        levels = [list(level["services"]) for level in env.levels]
        inventory.set_variable("maestro", "maestro_levels", levels)
        safe = {}
        for service in env.services.values():
            name = service["name"]
            group = safe_group_name(name)
            if group in safe:
                self.display.warning(
                    "services %r and %r both make the group %s: it is left out (use the "
                    "groups named as the services)" % (safe[group], name, group)
                )
                safe[group] = None
            else:
                safe[group] = name
        for service in env.services.values():
            name = service["name"]
            group = safe_group_name(name)
            groups = [inventory.add_group(name)] + ([inventory.add_group(group)] if safe[group] == name else [])
            for group in groups:
                inventory.set_variable(group, "maestro_level", service["level"])
                for inst in service["instances"]:
                    inventory.add_child(group, env.instances[inst]["ship"])
        for number, services in enumerate(levels):
            level_group = inventory.add_group("maestro_level_%d" % number)
            inventory.add_child("maestro", level_group)
            for name in services:
                if safe[safe_group_name(name)] == name:
                    inventory.add_child(level_group, safe_group_name(name))

    def _ssh_vars(self, ship):
        """Host variables of a ship worked on over SSH: its own Docker socket, no TLS, and the
        address and credentials MaestroNG's ssh_tunnel would have used."""
        result = {
            "ansible_host": ship["endpoint"],
            "maestro_docker_url": self.get_option("ssh_docker_url"),
            "maestro_docker_tls": False,
            "maestro_docker_tls_verify": False,
            "maestro_docker_ca_cert": None,
            "maestro_docker_client_cert": None,
            "maestro_docker_client_key": None,
            "maestro_docker_ssh_tunnel": None,
        }
        tunnel = ship["ssh_tunnel"]
        if tunnel:
            result.update(
                ansible_user=tunnel["user"], ansible_port=tunnel["port"], ansible_ssh_private_key_file=tunnel["key"]
            )
        return result
