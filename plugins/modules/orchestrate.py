#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: orchestrate
author: maestro-ng for Ansible maintainers (@maestro-ng)
version_added: 0.1.0
short_description: Bring a MaestroNG environment (or part of it) to a state, in dependency order
description:
  - Loads a MaestroNG environment file and converges the selected instances on their ships, each service as
    soon as every instance of the services it depends on is done (started and through its C(running) checks
    and O(start_grace)), not level by level, so a slow service holds back only what depends on it. The instances
    of a service converge in parallel, across ships and within a ship, inside the controller process (no
    module is forked per container), bounded by O(concurrency) and O(ship_concurrency).
  - Start-like states (V(started), V(restarted)) go dependencies first; stop-like states (V(stopped),
    V(killed), V(absent)) go dependents first; V(cleaned) and V(pulled) need no order. A failure lets the
    services in progress finish and starts no other (with O(keep_going), none that depends on it).
  - Values Docker would refuse fail when the file is loaded, naming the file, the line and the key. Before the
    first change of V(started) or V(restarted), every ship of the selection is asked at once what only it can
    answer (the log drivers, networks and Docker version its instances need, their images, pulled there when
    missing); a refusal fails the task before any change anywhere (with O(keep_going), only the refused
    instances fail and what depends on them is skipped). See C(docs/docsite/rst/preflight.rst).
  - A ship that does not answer before a V(started) or V(restarted) run refuses it before any change;
    otherwise it fails its own instances, naming the ship and its URL, and no further service begins.
  - Each container gets MaestroNG's environment variables. A container whose image or settings differ from
    the file is replaced, and the result says why. A replacement keeps the container's anonymous volumes, keeps
    the old container aside until the new one is ready (its C(running) checks, O(start_grace)) and rolls back
    to it when the new one fails; a service's replacements go in batches (its C(update) setting, or
    O(update_parallelism)), and a failed batch rolls the service back. See C(docs/docsite/rst/updates.rst).
  - A container that has an instance's name but that this environment did not make (by hand, by MaestroNG, by
    another environment) makes the task fail before any change, unless O(adopt).
  - "Prints a progress line when a service begins and when it is done, for example C(kafka: 3/3 started in
    1.4s); with C(-v), a line per instance."
extends_documentation_fragment:
  - maestro.ng.selection
  - ansible.builtin.action_common_attributes
  - maestro.ng.action_groups.environment
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
      - With V(restarted), one container at a time over the whole run, each passing its C(running) checks before
        the next.
    type: bool
    default: false
  start_grace:
    description:
      - With V(started) and V(restarted), seconds each started container without C(running) lifecycle
        checks must keep running before the start counts as done and its dependents start; one that exits
        within them fails the start, with its exit code and last log lines, and its dependents are not started.
      - V(0), as in MaestroNG and C(docker compose up), inspects each container once right after its start; a
        command that exits at once can still look running then (the daemon takes 0.1-0.3 s to notice), so V(0.5)
        is what reliably catches those. C(running) lifecycle checks (C(tcp), C(http), C(exec), C(sleep)) replace
        this wait for the services that have them.
    type: float
    default: 0
  wait_healthy:
    description:
      - With V(started) and V(restarted), a container whose C(healthcheck) gates readiness (one set in the file, or
        C(healthcheck) set to C(image) with an image that has one) counts as started once Docker says it is C(healthy), and
        fails, with its last probes' output, when it turns C(unhealthy); its dependents wait for that. See
        C(docs/docsite/rst/healthchecks.rst).
      - V(false) counts it as started once it runs, for this run.
    type: bool
    default: true
    version_added: 0.4.0
  rerun_oneshots:
    description:
      - With V(started), run the containers of C(oneshot) services again, even those that exited 0 and match the
        file (which a start otherwise leaves alone). V(restarted) always runs them again.
    type: bool
    default: false
    version_added: 0.4.0
  keep_going:
    description:
      - When a ship does not answer (or an instance fails, or is refused before the run), skip only that ship's
        instances and the services that depend on them (transitively; for stop-like states, the services they must
        stop after), and converge everything else.
      - The skipped instances are listed in RV(skipped_instances) and in the message, and the task still fails,
        so the exit code tells that something was skipped.
    type: bool
    default: false
  plan:
    description:
      - With check mode only, write to this file a JSON plan of what the run would do; per instance the
        C(action) (V(create), V(replace), V(restart), V(start), V(stop), V(kill), V(remove), V(pull) or
        V(none)), its C(reasons), a replacement's C(rollout) batch and the volumes it C(keeps), the live state
        it was computed from (C(live) - container id, state, image id, StartedAt, and the id of the wanted image
        on the ship) and a digest of the instance's settings. The file is format 2; one of format 1 is refused.
      - Refused when an instance failed or was skipped during the check.
    type: path
  apply_plan:
    description:
      - Carry out exactly the plan in this file, written by O(plan) for the same environment and O(state);
        instances planned V(none) are left alone, the others converge in dependency order.
      - Before any change, every planned instance is inspected again; if its live state or its settings in the
        file moved since the plan was made, nothing is done and the task fails naming each moved instance. Each
        instance is checked once more right before it is acted on.
    type: path
  lock_timeout:
    description:
      - Seconds to wait for another run on this controller that changes the same environment (a lock file per
        environment name in C($XDG_CACHE_HOME/maestro.ng/locks), else C(~/.cache/maestro.ng/locks)); the wait
        is announced once, naming the process that holds the lock, and the task fails after it.
      - Check mode does not take the lock. Runs from different controllers do not share it; they are made safe by
        the convergence itself (a container another run created, started, stopped or removed meanwhile is read
        again and converged from what is there).
    type: float
    default: 300
  adopt:
    description:
      - Take over containers that have an instance's name but that this environment did not make (by hand, by
        MaestroNG, by another environment); they are converged as the environment's own, a drifted one replaced
        with its anonymous volumes. Without it the task fails before any change, naming each such container.
    type: bool
    default: false
  update_parallelism:
    description:
      - How many instances of a service are replaced at once, a number or a percentage of its instances such as
        V(50%); over each service's C(update.parallelism) (default 1).
    type: str
  update_delay:
    description: Seconds between two batches of a service's replacements; over each service's C(update.delay).
    type: float
  update_failure_action:
    description:
      - What a failed batch does, over each service's C(update.failure_action). V(rollback) (the default) takes
        the instances of the service replaced in this run back to their previous containers; V(pause) stops
        there and keeps what is done; V(continue) goes on with the next batches. The failed instance itself
        always goes back to its previous container, and the task fails.
    type: str
    choices: [rollback, pause, continue]
  concurrency:
    description:
      - At most this many container operations at once over the whole run (MaestroNG's C(-c/--concurrency));
        unset, no bound but the run's threads (32 per service at once). A rolling O(state=restarted) always goes
        one at a time.
    type: int
    version_added: 0.4.0
  ship_concurrency:
    description:
      - At most this many container operations at once on one ship, so a run over many instances never opens
        more connections to a daemon than its client keeps.
    type: int
    default: 32
    version_added: 0.4.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - SIGINT (Ctrl-C) or SIGTERM of C(ansible-playbook) stops the run between containers; the containers in progress
    finish, no new one starts, what was done is printed, and running the same command again converges the rest.
  - Runs on the controller, which talks to each ship's Docker API. To run against a ship's local socket over
    SSH, use M(maestro.ng.container) on the ship hosts of the P(maestro.ng.maestro#inventory) inventory.
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

- name: Write what a start would do, then do exactly that
  maestro.ng.orchestrate:
    env: demo.yaml
    plan: /tmp/demo-plan.json
  check_mode: true

- name: Apply it (refused if anything moved since)
  maestro.ng.orchestrate:
    env: demo.yaml
    apply_plan: /tmp/demo-plan.json

- name: Start, failing (dependents not started) if a container exits within half a second of its start
  maestro.ng.orchestrate:
    env: demo.yaml
    start_grace: 0.5

- name: Start what can be started even if a ship is down
  maestro.ng.orchestrate:
    env: demo.yaml
    keep_going: true

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
skipped_instances:
  description: With O(keep_going), the instances skipped and why (C(instance), C(ship), C(why)).
  returned: when instances were skipped with keep_going
  type: list
  elements: dict
  sample:
    - {instance: kafka-3, ship: ship3, why: "ship ship3 (tcp://10.250.0.4:2375) is unreachable: [Errno 111] ..."}
    - {instance: web-2, ship: ship2, why: "depends on kafka, and kafka-3 was skipped"}
plan:
  description: With O(plan), the file the plan was written to.
  returned: when a plan was written
  type: str
moved:
  description: With O(apply_plan), the instances whose live state moved since the plan, and how.
  returned: when a plan is refused
  type: list
  elements: str
seconds:
  description: Wall time of the run.
  returned: success
  type: float
summary:
  description: What the run did in one line, also printed as the task's last progress line.
  returned: success
  type: str
  sample: "start: 9 instances on 3 ships: 6 created, 3 unchanged in 2.1s"
steps:
  description:
    - The steps that ran (a service's instances; two or more when they take volumes from each other), in the
      order they were planned - C(service), C(level), C(instances) (how many), C(changed) (how many of them it
      changed), C(after) (the services it waited for) and C(seconds) (from its start to its end). The C(deps)
      playbook shows the seconds of the last start that changed each service as the critical path.
  returned: success
  type: list
  elements: dict
  version_added: 0.4.0
  sample:
    - {service: kafka, level: 1, instances: 3, changed: 3, after: [zookeeper], seconds: 1.4}
interrupted:
  description: The signal (V(SIGINT) or V(SIGTERM)) that stopped the run between containers; the task then fails.
  returned: when interrupted
  type: str
instances:
  description:
    - One result per instance, in the order they ran; C(actions) lists what was done, C(reasons) why a
      container was replaced, C(container) gives C(id), C(state) and C(image_id).
    - A replacement's C(kept) lists the paths of the anonymous volumes it carried into the new container,
      C(rollout) its batch (C(batch), C(of), C(size)); C(rolled_back) is the id of the previous container a
      failed (or reverted) replacement went back to.
    - C(raced) (when not empty) says what another run did to the same container meanwhile (created, started,
      stopped or removed it); the instance was then read again and converged from what was there.
  returned: success
  type: list
  elements: dict
  sample:
    - instance: kafka-1
      service: kafka
      ship: ship1
      changed: true
      failed: false
      actions:
        - stopped
        - kept aside as kafka-1.maestro-previous (env.KAFKA_HEAP_OPTS changed)
        - created (with the volumes at /var/lib/kafka)
        - started
        - removed the previous container
      reasons: ["env.KAFKA_HEAP_OPTS changed"]
      kept: [/var/lib/kafka]
      rollout: {batch: 1, of: 3, size: 1}
      container: {id: 0123456789ab, state: running, image_id: "sha256:..."}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC


def main():
    # The work happens in the action plugin of the same name, on the controller; the
    # spec is the plugin's, so that the documentation is checked against it.
    module = AnsibleModule(argument_spec=ORCHESTRATE_SPEC, supports_check_mode=True)
    module.fail_json(msg="%s runs on the controller through its action plugin" % module._name)


if __name__ == "__main__":
    main()
