# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: environment
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: Load a MaestroNG environment file as normalised, ordered data
description:
  - Renders the file with Jinja2 (context C(env) = the process environment, C({% include %}) relative to
    the file), parses it as strict YAML, validates the whole MaestroNG 0.8.3 schema and returns the
    normalised environment in dependency order, with every container's complete environment variables.
  - A bad file fails with one line naming the file, the line and the key path.
options:
  _terms:
    description: Path of the environment file (C(-) reads standard input). Exactly one.
    required: true
  services:
    description: Service or instance names (or fnmatch patterns) to select; all non-C(omit) services when empty.
    type: list
    elements: str
    default: []
  with_dependencies:
    description: Add what the selection depends on (or, with O(dependents), what depends on it).
    type: bool
    default: true
  dependents:
    description: Select in the stop-like direction (dependents instead of dependencies).
    type: bool
    default: false
  ships:
    description: Only instances on ships matching these fnmatch patterns.
    type: list
    elements: str
    default: []
notes:
  - Relative paths are taken from the current working directory.
"""

EXAMPLES = r"""
- name: Show the start order
  ansible.builtin.debug:
    msg: "{{ lookup('maestro.ng.environment', 'demo.yaml').levels | map(attribute='services') }}"

- name: Where does kafka-1 run, and with which variables?
  vars:
    demo: "{{ lookup('maestro.ng.environment', 'demo.yaml', services=['kafka']) }}"
  ansible.builtin.debug:
    msg: "{{ demo.instances['kafka-1'].ship }} {{ demo.instances['kafka-1'].env.ZOOKEEPER_INSTANCES }}"
"""

RETURN = r"""
_raw:
  description: One environment.
  type: list
  elements: dict
  contains:
    name: {description: Environment name., type: str}
    file: {description: The file it came from., type: str}
    schema: {description: Schema version (1 or 2)., type: int}
    ships:
      description: Ship name to ship (ip, endpoint, docker_port, docker_url, socket_path, api_version, timeout,
        tls, tls_verify, tls_ca_cert, tls_cert, tls_key, ssh_tunnel).
      type: dict
    services:
      description: Selected services in dependency order (name, image, requires, wants_info, omit, instances, level).
      type: list
      elements: dict
    levels:
      description: Dependency levels of the selection, first to start first (level, services, instances).
      type: list
      elements: dict
    instances:
      description: >-
        Instance name to its complete container spec, in dependency order: name, service, ship, ship_ip,
        environment, image, command, env (every variable the container gets), ports (name, exposed, external,
        protocol, host_ip), volumes (source, target, mode), container_volumes, volumes_from, links, user,
        privileged, cap_add, cap_drop, security_opt, extra_hosts, network_mode, hostname, restart (name,
        maximum_retry_count), dns, stop_timeout, limits (cpu_shares, memory, memswap), log_driver, log_opt,
        workdir, ulimits (name, soft, hard), labels, lifecycle (state to checks), level, secret_digests
        (where its vault values are; they show as C(********) here, their values are under C(secrets)).
      type: dict
    secrets:
      description: >-
        Instance name to the vault values of its spec, shaped as the spec (C(env.DB_PASSWORD) has that variable's value),
        for the instances that have any; give them to M(maestro.ng.container) as O(maestro.ng.container#module:secrets).
        They are Ansible vault values, decrypted where a task uses them.
      type: dict
      version_added: 0.5.0
    selected:
      description: The selected instance names in dependency order.
      type: list
      elements: str
    registries: {description: "Registries by name (passwords included, vault values as such; do not print).", type: dict}
    audit: {description: Audit notifiers., type: list, elements: dict}
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import selection
from ansible_collections.maestro.ng.plugins.module_utils.model.vault import split_all
from ansible_collections.maestro.ng.plugins.plugin_utils.common import load
from ansible_collections.maestro.ng.plugins.plugin_utils.vault import vaulted


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError("maestro.ng.environment takes exactly one environment file")
        try:
            env = load(str(terms[0]), self._loader)
            options = {key: self.get_option(key) for key in ("services", "with_dependencies", "ships")}
            names = selection.select_options(env, options, dependents=self.get_option("dependents"))
        except MaestroError as exc:
            raise AnsibleLookupError(str(exc)) from None
        data = env.to_dict()
        chosen = set(names)
        data["instances"] = {n: s for n, s in data["instances"].items() if n in chosen}
        data["services"] = [s for s in data["services"] if chosen.intersection(s["instances"])]
        data["levels"] = selection.plan(env, names)
        data["selected"] = names
        data["instances"], data["secrets"] = split_all(data["instances"])
        return [vaulted(data, self._loader)]
