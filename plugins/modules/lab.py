#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lab
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.2.0
short_description: Local lab ships to try a MaestroNG environment file on before production
description:
  - Makes one local simulated ship per ship of the environment file (a network namespace with its own
    C(dockerd), made by the collection's C(files/lab/lab.sh)), copies the images the file's instances use
    from the local Docker daemon into their lab ships, and writes the file with its ships pointed at the
    lab ships next to it (C(demo.yaml) gives C(demo.lab.yaml)). Every playbook then runs on the lab with
    C(-e env=demo.lab.yaml).
  - The rewritten file is the original rendered by Jinja2 and parsed, with each ship's address replaced by
    its lab ship's (and each string in C(services) equal to a ship's address likewise); ship settings other
    than C(timeout) (port, socket, TLS, SSH tunnel, API version) are left out.
  - O(state=absent) removes exactly the ships this lab made, and the lab file.
  - Needs root, C(docker.io), C(busybox-static), C(iptables) and C(iproute2) on the controller.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - maestro.ng.action_groups.environment
options:
  env:
    description: Path of the original MaestroNG environment file (for O(state=absent), its lab file works too).
    type: path
    required: true
  state:
    description: V(present) makes (or repairs) the lab; V(absent) removes it.
    type: str
    default: present
    choices: [absent, present]
  first:
    description:
      - Lab ship number of the file's first ship; the others follow in the file's order. Lab ship K answers
        on C(tcp://10.250.0.(K+1\):2375).
      - Default is the number an existing lab of this file uses, else 50 (ships 1-30 belong to the tests).
    type: int
  script:
    description: The lab script; default the collection's C(files/lab/lab.sh).
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: A lab for demo.yaml
  maestro.ng.lab:
    env: demo.yaml
  register: lab

- name: Start the environment on it
  maestro.ng.orchestrate:
    env: "{{ lab.lab_env }}"
    state: started

- name: Remove the lab
  maestro.ng.lab:
    env: demo.yaml
    state: absent
"""

RETURN = r"""
lab_env: {description: Path of the lab environment file., returned: state is present, type: str}
ships:
  description: Per ship of the file, its lab ship C(number), C(url), C(ip), C(port), and the URL it C(was).
  returned: state is present
  type: dict
copied:
  description: The images copied in, as C(ship) and C(image).
  returned: state is present
  type: list
  elements: dict
removed: {description: The lab ship numbers removed., returned: state is absent, type: list, elements: int}
msg: {description: What was done and how to use the lab., returned: always, type: str}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import LAB_SPEC


def main():
    # The work happens in the action plugin of the same name, on the controller; the
    # spec is the plugin's, so that the documentation is checked against it.
    module = AnsibleModule(argument_spec=LAB_SPEC, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
