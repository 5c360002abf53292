#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: logs
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: The log of one instance of a MaestroNG environment
description:
  - Reads the last lines of an instance's container log from its ship, or follows it until the container
    stops (lines are printed as they arrive).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - maestro.ng.action_groups.environment
options:
  env:
    description: Path of the MaestroNG environment file, or C(-) for standard input.
    type: str
    required: true
  instance:
    description: Instance name.
    type: str
    required: true
  tail:
    description: Number of lines from the end; a negative number reads the whole log.
    type: int
    default: 100
  follow:
    description: Keep printing new lines until the container stops.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Last 20 lines of kafka-1
  maestro.ng.logs:
    env: demo.yaml
    instance: kafka-1
    tail: 20
  register: log
"""

RETURN = r"""
lines: {description: The log lines (empty when following)., returned: success, type: list, elements: str}
ship: {description: Ship the instance runs on., returned: success, type: str}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import LOGS_SPEC


def main():
    # The work happens in the action plugin of the same name, on the controller; the
    # spec is the plugin's, so that the documentation is checked against it.
    module = AnsibleModule(argument_spec=LOGS_SPEC, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
