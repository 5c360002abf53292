#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: orchestrate
author: maestro-ng for Ansible contributors
version_added: 0.1.0
short_description: Bring a MaestroNG environment (or part of it) to a state, in dependency order
description:
  - Loads a MaestroNG environment file and converges the selected instances on their ships, one dependency
    level at a time. All instances of a level converge in parallel, across ships and within a ship, inside
    the controller process (no module is forked per container).
  - Start-like states (V(started), V(restarted)) go dependencies first; stop-like states (V(stopped),
    V(killed), V(absent), V(cleaned)) go dependents first. A failed level stops the later ones.
  - A ship that does not answer fails its own instances, naming the ship and its URL; containers elsewhere
    are not touched beyond what their level needs.
  - Each container gets MaestroNG's environment variables. A running container whose image or settings
    differ from the file is recreated, and the result says why.
  - "Prints one progress line per service and level, for example C(level 2/3 kafka: 3/3 started in 1.4s)."
extends_documentation_fragment:
  - maestro.ng.selection
options:
  state:
    description:
      - V(started) creates and starts what is missing, recreates what drifted, runs C(running) checks.
      - V(stopped) and V(killed) stop or kill running containers.
      - V(restarted) restarts (dependencies before their dependents, unlike MaestroNG).
      - V(cleaned) removes stopped containers and skips running ones.
      - V(absent) stops and removes every selected container.
      - V(pulled) pulls the images onto the ships.
    type: str
    default: started
    choices: [started, stopped, killed, restarted, cleaned, absent, pulled]
  refresh_images:
    description: Pull images before starting even when the ship has them; a newer image then recreates.
    type: bool
    default: false
  only_if_changed:
    description: With V(restarted), restart only containers whose image or settings changed.
    type: bool
    default: false
  step_delay:
    description: With V(restarted), seconds to wait between two containers (implies one at a time).
    type: float
    default: 0
  stop_start_delay:
    description: With V(restarted), seconds between stopping and starting a container.
    type: float
    default: 0
  rolling:
    description:
      - With V(restarted), one container at a time, each passing its C(running) checks before the next.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - Runs on the controller, which talks to each ship's Docker API. To run against a ship's local socket over
    SSH, use M(maestro.ng.container) on the ship hosts of the M(maestro.ng.maestro) inventory.
"""

EXAMPLES = r"""
- name: Start the whole environment
  maestro.ng.orchestrate:
    env: demo.yaml

- name: Restart kafka only if its image or settings changed, one container at a time
  maestro.ng.orchestrate:
    env: demo.yaml
    services: [kafka]
    with_dependencies: false
    state: restarted
    only_if_changed: true
    rolling: true

- name: Stop everything on ship2, dependents first
  maestro.ng.orchestrate:
    env: demo.yaml
    ships: [ship2]
    state: stopped
"""

RETURN = r"""
environment:
  description: Environment name.
  returned: always
  type: str
command:
  description: The state applied.
  returned: success
  type: str
counts:
  description: Number of instances in total, changed, failed and skipped.
  returned: success
  type: dict
seconds:
  description: Wall time of the run.
  returned: success
  type: float
instances:
  description:
    - One result per instance, in the order they ran; C(actions) lists what was done, C(reasons) why a
      container was recreated, C(container) gives C(id), C(state) and C(image_id).
  returned: success
  type: list
  elements: dict
  sample:
    - instance: kafka-1
      service: kafka
      ship: ship1
      changed: true
      failed: false
      actions: ["removed (env.KAFKA_HEAP_OPTS changed)", "created", "started"]
      reasons: ["env.KAFKA_HEAP_OPTS changed"]
      container: {id: 0123456789ab, state: running, image_id: "sha256:..."}
"""


from ansible.module_utils.basic import AnsibleModule


def main():
    # The work happens in the action plugin of the same name, on the controller.
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
