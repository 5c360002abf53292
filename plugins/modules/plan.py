#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: plan
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: The order a MaestroNG environment starts in, its dependency tree and DOT graph
description:
  - Loads and checks an environment file without any Docker call and returns the selection, its dependency
    levels, a text tree, the impact of a change to each service, a Graphviz DOT graph, and the critical path
    of a start (the chain of services that bounds it), with the seconds each took in the last start on this
    controller that changed it, when one was recorded (in C($XDG_CACHE_HOME/maestro.ng/timings)).
extends_documentation_fragment:
  - maestro.ng.selection
  - ansible.builtin.action_common_attributes
  - maestro.ng.action_groups.environment
options:
  dependents:
    description: Select and order in the stop-like direction (dependents of the selection, reverse levels).
    type: bool
    default: false
  dot_file:
    description: Also write the DOT graph to this file on the controller.
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
- name: Dependency tree of kafka
  maestro.ng.plan:
    env: demo.yaml
    services: [kafka]
    dot_file: kafka.dot
  register: deps
"""

RETURN = r"""
instances: {description: Selected instances in run order., returned: always, type: list, elements: str}
services: {description: Selected services in run order., returned: always, type: list, elements: str}
levels: {description: Levels with their services and instances., returned: always, type: list, elements: dict}
followers:
  description:
    - Instance to the selected instances that must not run once it failed or its ship was lost (C(keep_going)) -
      those of the services that depend on its service, transitively (with O(dependents), those it depends on).
  returned: always
  type: dict
  version_added: 0.3.0
tree: {description: The dependency tree as text., returned: always, type: str}
impact: {description: Service to the services a change to it restarts., returned: always, type: dict}
dot: {description: The graph in Graphviz DOT., returned: always, type: str}
critical_path:
  description:
    - The chain of services that bounds the start of the selection, first to last (C(services)); C(seconds) per
      service, their C(total) and C(recorded_at) from the last starts on this controller that changed them (null
      when none was recorded for all of them), and the C(line) the C(deps) playbook prints.
  returned: always
  type: dict
  version_added: 0.4.0
  sample:
    services: [zookeeper, kafka, web]
    seconds: {zookeeper: 1.1, kafka: 1.4, web: 0.7}
    total: 3.2
    recorded_at: "2026-12-07 16:00:00 UTC"
    line: "critical path: zookeeper 1.1s → kafka 1.4s → web 0.7s = 3.2s (the start of 2026-12-07 16:00:00 UTC)"
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import PLAN_SPEC


def main():
    # The work happens in the action plugin of the same name, on the controller; the
    # spec is the plugin's, so that the documentation is checked against it.
    module = AnsibleModule(argument_spec=PLAN_SPEC, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
