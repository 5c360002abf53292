#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: status
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: Where each instance of a MaestroNG environment runs, and in which state
description:
  - Lists the containers of every ship once, in parallel, and reports per instance its service, ship,
    image and image id, state and since when, and ports. An unreachable ship shows as C(host down).
  - With O(drift), also tells per instance whether its container still matches the environment file (image,
    env, ports, every setting C(start) compares), and why not. That costs one container inspect per container
    and one image inspect per ship and image, all in parallel.
extends_documentation_fragment:
  - maestro.ng.selection
  - ansible.builtin.action_common_attributes
  - maestro.ng.action_groups.environment
options:
  drift:
    description: Compare each existing container with the file (RV(instances[].drift), the C(DRIFT) column).
    type: bool
    default: true
  ports:
    description:
      - Try each named TCP port of the selected instances from the controller, as MaestroNG's C(status -F)
        does (RV(instances[].port_states), each port's state in the C(PORTS) column).
      - All ports are tried at once, each for at most about 1.3 seconds (a connection, then a moment to see it
        is kept, since Docker's proxy accepts on a published port even when nothing listens behind it).
        UDP ports, and ports bound to a remote ship's loopback address, are not tried.
    type: bool
    default: false
    version_added: 0.4.0
  show_hosts:
    description:
      - Show each ship's address instead of its name in RV(table) (a C(HOST) column), as MaestroNG's
        C(status -H) does.
    type: bool
    default: false
    version_added: 0.4.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Ask every ship
  maestro.ng.status:
    env: demo.yaml
  register: st

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ st.table }}"

- name: Which ports answer, by ship address
  maestro.ng.status:
    env: demo.yaml
    ports: true
    show_hosts: true
"""

RETURN = r"""
instances:
  description: One row per selected instance.
  returned: always
  type: list
  elements: dict
  sample:
    - {service: kafka, instance: kafka-1, ship: ship1, ship_ip: 10.250.0.2, image: "maestro-test/busybox:latest",
       image_id: 0123456789ab, container_id: ba9876543210, state: running, status: "Up 5 minutes",
       ports: ["broker:9092->9092/tcp"], drift: ["env.KAFKA_HEAP_OPTS changed"]}
    - {service: web, instance: web-1, ship: ship2, state: absent, drift: null}
  contains:
    drift:
      description:
        - Why the container differs from the file (empty list when it matches); null when there is no container
          (absent, or its ship is down) or drift was not asked for.
      type: list
      elements: str
    port_states:
      description:
        - With O(ports), each named port's state seen from the controller - C(up), C(down), C(N/M up) for a
          range, or why it was not tried (C(udp, not checked), C(bound to the ship's loopback, not checked)).
      type: dict
      returned: with O(ports)
      sample: {broker: up, jmx: down}
table:
  description: The rows as an aligned text table.
  returned: always
  type: str
summary:
  description: The rows counted by state, in one line.
  returned: always
  type: str
  sample: "status: 9 instances on 3 ships: 7 running, 1 stopped, 1 absent; 1 drifted in 0.1s"
drifted:
  description: Instances whose container differs from the file.
  returned: when some drifted
  type: list
  elements: str
show_hosts:
  description: Whether RV(table) shows ship addresses (O(show_hosts)), for the stdout callback.
  returned: with O(show_hosts)
  type: bool
ships_down:
  description: Ships whose Docker API did not answer.
  returned: when a ship is down
  type: list
  elements: str
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import STATUS_SPEC


def main():
    # The work happens in the action plugin of the same name, on the controller; the
    # spec is the plugin's, so that the documentation is checked against it.
    module = AnsibleModule(argument_spec=STATUS_SPEC, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
