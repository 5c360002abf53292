#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: instances
short_description: Converge several MaestroNG instances of one Docker host together
version_added: 0.5.0
author:
  - maestro-ng for Ansible maintainers (@maestro-ng)
description:
  - Brings the containers of several instances of one Docker host (a "ship") to O(state) in one task, each
    exactly as M(maestro.ng.container) would (drift, replacements that keep anonymous volumes and roll back,
    lifecycle checks and healthchecks, refusal of containers that are not the instance's), with one
    connection and one container listing of the ship for all of them.
  - They converge in parallel threads, at most O(parallel) at once. With O(state=started), a container whose
    settings drifted is replaced one at a time on the ship; the others start or are created at once.
  - It is the step the C(maestro.ng.service) role runs on each ship for each dependency level (and, with
    rolling, for each instance). The instances of one task must not depend on each other.
  - A spec that Docker would refuse (or that is not a valid instance spec) fails the task before any change to
    any of its instances.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - maestro.ng.connection
  - maestro.ng.action_groups.docker
attributes:
  check_mode:
    support: full
    details: Inspects only; the actions that would happen are listed with C(would ).
  diff_mode:
    support: full
    details: One diff per changed container, headed by its instance name.
  platform:
    platforms: posix
options:
  specs:
    description:
      - Instance specs, as the P(maestro.ng.maestro#inventory) inventory plugin (C(maestro_instance_specs)) or the
        P(maestro.ng.environment#lookup) lookup (C(instances)) give them; each is checked as the options of
        M(maestro.ng.container) (keys that are not among them, as C(level), are left out).
    type: list
    elements: dict
    required: true
  secrets:
    description:
      - The vault values of the specs, by instance name, each shaped as M(maestro.ng.container)'s C(secrets)
        option (the inventory's C(maestro_instance_secrets)); put where a spec shows C(********).
    type: dict
  parallel:
    description: At most this many instances converge at once.
    type: int
    default: 32
notes:
  - On a C(local) connection the action plugin converges the instances inside the controller process (no
    module is started); on any other connection the module runs on the host.
seealso:
  - module: maestro.ng.container
"""

EXAMPLES = r"""
- name: The instances of this ship at one dependency level, together
  maestro.ng.instances:
    specs: "{{ ['zk-1', 'zk-2'] | map('extract', maestro_instance_specs) | list }}"
    secrets: "{{ maestro_instance_secrets }}"
    registries: "{{ maestro_registries | default(omit, true) }}"
    docker_url: "{{ maestro_docker_url }}"
    state: started
"""

RETURN = r"""
changed:
  description: Whether a container was (or in check mode would be) changed.
  returned: always
  type: bool
instances:
  description:
    - Each instance's result, in the order of O(specs), with the keys M(maestro.ng.container) returns and
      C(instance), its name; C(failed) and C(msg) for one that failed.
  returned: always
  type: list
  elements: dict
  sample:
    - instance: zk-1
      changed: true
      actions: [created, started]
      reasons: []
      container: {id: 0123456789ab, name: zk-1, state: running, image_id: "sha256:ba9876543210"}
diff:
  description: One diff per changed container, with C(before_header) and C(after_header) its instance name.
  returned: with --diff
  type: list
  elements: dict
msg:
  description: The failures, one after the other.
  returned: on failure
  type: str
"""

from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import module_main
from ansible_collections.maestro.ng.plugins.module_utils.docker.instances_args import (
    INSTANCES_SPEC,
    converge_many,
    secrets_only,
)


def main():
    module_main(INSTANCES_SPEC, converge_many, secrets_only)


if __name__ == "__main__":
    main()
