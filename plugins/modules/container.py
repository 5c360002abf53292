#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: container
short_description: Converge one MaestroNG container instance on a Docker host
version_added: 0.1.0
author:
  - maestro-ng for Ansible maintainers (@maestro-ng)
description:
  - Creates, starts, stops, kills, restarts or removes one Docker container the way
    MaestroNG does for one instance of a service, on one Docker host (a "ship").
  - An existing container is compared setting by setting with the wanted one (image id,
    environment, ports, volumes, links, limits, restart policy, ...); when they differ it
    is replaced, and the reasons are returned. The replacement keeps the container's anonymous
    volumes (C(container_volumes), the image's C(VOLUME)s) at the same paths; the old container is
    stopped and kept as C(NAME.maestro-previous) until the new one has passed its C(running) checks
    (and O(start_grace)), then removed. A new container that fails is stopped and kept as
    C(NAME.maestro-failed) (its logs), the old one gets its name back and runs again, and the task
    fails saying so. A run that finds a container kept aside finishes or undoes what was interrupted.
  - A container with the name that was not made for this instance and O(environment) (by hand, by
    MaestroNG, by another environment) fails the task and is left alone, unless O(adopt).
  - A value Docker would refuse (a relative O(workdir), an image reference with capitals, an unknown
    capability, ...) fails the task before the ship is reached, naming the option. A new container that
    Docker creates but cannot start (a network or a user the ship lacks) is removed again.
  - Environment variables and labels that come from the image are not counted as
    differences, nor are Docker's own defaults (network mode, log driver, hostname).
  - A running container without differences is left alone; a stopped one without
    differences is started again as it is.
  - Lifecycle checks (C(tcp), C(http), C(exec), C(rexec), C(sleep)) run around the
    actions that really happen; the checks of one state run in parallel and must all pass.
  - Only the Docker API of the host is used; nothing is installed there.
requirements:
  - docker (Python SDK) >= 7.0
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
    details: Shows the settings that differ, and the container state before and after.
  platform:
    platforms: posix
options:
  name:
    description: Name of the container (the MaestroNG instance name).
    type: str
    required: true
  image:
    description:
      - Image to run, as C(repository:tag). Pulled when the host lacks it.
      - Required when O(state) is C(started) or C(restarted).
    type: str
  service:
    description: Service the instance belongs to; recorded in the C(maestro.ng.service) label.
    type: str
  ship:
    description:
      - Name of the Docker host, used in messages and the C(maestro.ng.ship) label.
      - Defaults to the host part of O(docker_url), or C(local) for a unix socket.
    type: str
  ship_ip:
    description:
      - Address of the Docker host, where C(tcp) and C(http) checks connect by default.
      - Defaults to the host part of O(docker_url), or C(127.0.0.1) for a unix socket.
    type: str
  environment:
    description: MaestroNG environment name; recorded in the C(maestro.ng.environment) label.
    type: str
    default: default
  command:
    description:
      - Command to run, as a list or a string (split like a shell would).
      - Unset runs the image's default command.
    type: raw
  env:
    description:
      - The complete environment of the container. Variables of the image that are not
        set here are kept.
    type: dict
    default: {}
  ports:
    description:
      - Published ports.
      - Ranges map one to one and must have the same size, except that a single
        O(ports[].exposed) port with an O(ports[].external) range gets any free host port
        of the range.
      - With O(network_mode=host) they are exposed but not published (the container uses the
        host's own ports); with C(container:NAME) neither.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the port (MaestroNG's port name).
        type: str
      exposed:
        description: Port or range inside the container, like C(80) or C(1234-1236).
        type: str
        required: true
      external:
        description: Port or range on the host, like C(8080) or C(1234-1236).
        type: str
        required: true
      protocol:
        description: Protocol of the port.
        type: str
        default: tcp
        choices: [tcp, udp]
      host_ip:
        description: Host address to bind the port on.
        type: str
        default: 0.0.0.0
  volumes:
    description: Host paths to bind into the container.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description: Path on the host.
        type: str
        required: true
      target:
        description: Path in the container.
        type: str
        required: true
      mode:
        description: Comma-separated mount flags, like C(ro) or C(ro,Z).
        type: str
        default: rw
  container_volumes:
    description: Paths in the container to make anonymous volumes of.
    type: list
    elements: str
    default: []
  volumes_from:
    description: Containers on the same host whose volumes to mount.
    type: list
    elements: str
    default: []
  links:
    description: Legacy links, as a map of container name to alias.
    type: dict
    default: {}
  user:
    description: User to run the container's processes as. Unset uses the image's.
    type: str
  privileged:
    description: Run the container privileged.
    type: bool
    default: false
  cap_add:
    description: Linux capabilities to add.
    type: list
    elements: str
    default: []
  cap_drop:
    description: Linux capabilities to drop.
    type: list
    elements: str
    default: []
  security_opt:
    description: Security options, like C(no-new-privileges) or C(label=disable).
    type: list
    elements: str
    default: []
  extra_hosts:
    description: Extra C(/etc/hosts) entries, as a map of host name to address.
    type: dict
    default: {}
  network_mode:
    description:
      - Network mode, like C(host), C(none) or C(container:<name>).
      - Unset uses Docker's default bridge network.
    type: str
  hostname:
    description:
      - Host name of the container.
      - Defaults to O(name), unless O(network_mode) is set (then Docker chooses).
    type: str
  restart:
    description: Restart policy.
    type: dict
    default: {}
    suboptions:
      name:
        description: Policy name.
        type: str
        default: 'no'
        choices: ['no', always, on-failure, unless-stopped]
      maximum_retry_count:
        description: Restarts before giving up, with C(on-failure).
        type: int
        default: 0
  dns:
    description: DNS servers of the container.
    type: list
    elements: str
    default: []
  stop_timeout:
    description: Seconds between SIGTERM and SIGKILL when stopping.
    type: int
    default: 10
  limits:
    description: Resource limits.
    type: dict
    default: {}
    suboptions:
      cpu_shares:
        description: Relative CPU weight.
        type: int
      memory:
        description: Memory limit in bytes.
        type: int
      memswap:
        description: Memory plus swap limit in bytes (V(-1) for unlimited swap).
        type: int
  log_driver:
    description: Log driver. Unset uses the daemon's default.
    type: str
  log_opt:
    description:
      - Options of the log driver.
      - Options the daemon adds by default are not counted as differences, so removing
        an option from this map does not recreate the container.
    type: dict
    default: {}
  workdir:
    description: Working directory of the command. Unset uses the image's.
    type: str
  ulimits:
    description: Resource ulimits.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the limit, like C(nofile).
        type: str
        required: true
      soft:
        description: Soft limit.
        type: int
        required: true
      hard:
        description: Hard limit.
        type: int
        required: true
  labels:
    description:
      - Labels of the container. Labels of the image are kept; C(maestro.ng.environment),
        C(maestro.ng.service), C(maestro.ng.instance) and C(maestro.ng.ship) are added.
    type: dict
    default: {}
  lifecycle:
    description:
      - Lifecycle checks, as a map of state (C(pre-start), C(running), C(pre-stop),
        C(stopped)) to a list of checks.
      - A C(tcp) check (keys C(port), C(host), C(max_wait)) waits until the port answers;
        a connection that is closed right after being accepted (docker-proxy with nothing
        listening behind it) does not count.
      - An C(http) check (keys C(port), C(host), C(path), C(scheme), C(method),
        C(match_regex), C(max_wait)) waits for HTTP 200, or a body matching C(match_regex).
      - An C(exec) check (keys C(command), C(attempts)) runs a shell command on the
        controller with the container's environment added; an C(rexec) check runs it in
        the container with C(sh -c). Success is exit code 0; attempts are 1 s apart.
      - A C(sleep) check waits C(wait) seconds.
      - C(host) defaults to O(ship_ip); C(max_wait) and C(attempts) are MaestroNG's
        defaults (180 for tcp, 300 for http, 180 attempts).
    type: dict
    default: {}
  healthcheck:
    description:
      - Docker's healthcheck of the container, as the P(maestro.ng.environment#lookup) lookup gives it from an environment
        file's C(healthcheck) (C(docs/docsite/rst/healthchecks.rst)). Keys C(test) (C([CMD, ...]), C([CMD-SHELL, line]) or
        C([NONE])), C(interval), C(timeout), C(start_period), C(start_interval) (nanoseconds), C(retries); or
        C(image=true) for the image's own healthcheck, which is then waited for too (see O(wait_healthy)).
      - A change of what it sets is drift, and replaces the container. Unset, nothing is set on the container
        and nothing waits for health.
    type: dict
    version_added: 0.4.0
  oneshot:
    description:
      - The container runs to completion (an environment file's C(oneshot), C(docs/docsite/rst/healthchecks.rst)) within this
        many seconds. With O(state=started) it is started and waited for, and it is done when it exits 0; a
        non-zero exit fails the task with the exit code and last log lines. A container that exited 0 and
        matches the options is not run again, except with O(state=restarted).
      - Unset, the container is a service that keeps running.
    type: float
    version_added: 0.4.0
  secret_digests:
    description:
      - Where the instance holds vault values (ansible-vault data in the environment file), as a mapping shaped as
        the instance spec with a keyed digest in the place of each (C(env.DB_PASSWORD) has the digest of that
        variable). The environment model sets it; give it back unchanged.
      - Those settings are named but never shown in the output (reasons, C(--diff) and errors hide them), and
        their digests stand for them in the container's C(maestro.ng.digest) label.
    type: dict
    default: {}
    version_added: 0.5.0
  secrets:
    description:
      - The instance's vault values, shaped as O(secret_digests) (C(env.DB_PASSWORD) has that variable's value),
        put where its spec shows C(********). The P(maestro.ng.maestro#inventory) inventory plugin gives them as
        C(maestro_instance_secrets[NAME]), the C(maestro.ng.environment) lookup as C(secrets[NAME]); they stay
        Ansible vault values until this task uses them.
      - A spec that has C(********) at a secret's place, and no value here for it, fails before any change.
    type: dict
    version_added: 0.5.0
  spec:
    description:
      - A whole instance spec, as the P(maestro.ng.maestro#inventory) inventory plugin (C(maestro_instance_specs)) or the
        C(maestro.ng.environment) lookup (C(instances)) give it. Its keys fill the options above; options given
        on the task win. Expanded by the action plugin.
    type: dict
notes:
  - On a C(local) connection the action plugin converges the container inside the controller process (no
    module is started); on any other connection the module runs on the host.
  - Containers without C(running) checks must still be running 0.3 s after their start,
    otherwise the task fails with their exit code and last log lines.
seealso:
  - name: MaestroNG lifecycle checks
    description: The checks this module runs.
    link: https://maestro-ng.readthedocs.io/en/latest/lifecycle_checks.html
"""

EXAMPLES = r"""
- name: Run a web server with a published port and some environment
  maestro.ng.container:
    name: web1
    image: busybox:latest
    command: [httpd, -f, -p, "80", -h, /]
    docker_url: tcp://192.0.2.10:2375
    ports:
      - {name: http, exposed: "80", external: "8080"}
    env:
      GREETING: hello
    restart: {name: unless-stopped}
    lifecycle:
      running:
        - {type: tcp, port: 8080, max_wait: 30}

- name: Run an image from a private registry, with its login and retry policy
  maestro.ng.container:
    name: web2
    image: registry.example.com:5000/team/web:1.4
    docker_url: tcp://192.0.2.10:2375
    registries:
      private:
        registry: https://registry.example.com:5000/v2/
        username: deploy
        password: "{{ registry_password }}"  # from a vault, say
        retry: {attempts: 3, when: [500, 502, 503]}

- name: The same, with the registries of an environment file (not printed anywhere)
  maestro.ng.container:
    name: web2
    image: registry.example.com:5000/team/web:1.4
    docker_url: tcp://192.0.2.10:2375
    registries: "{{ lookup('maestro.ng.environment', 'prod.yaml').registries }}"

- name: An instance of the inventory's environment, its vault values (ansible-vault) passed apart
  maestro.ng.container:
    spec: "{{ maestro_instance_specs['db-1'] }}"
    secrets: "{{ maestro_instance_secrets['db-1'] | default(omit) }}"
    docker_url: "{{ maestro_docker_url }}"

- name: Stop it (it stays on the host)
  maestro.ng.container:
    name: web1
    state: stopped
    docker_url: tcp://192.0.2.10:2375

- name: Remove it
  maestro.ng.container:
    name: web1
    state: absent
    docker_url: tcp://192.0.2.10:2375
"""

RETURN = r"""
changed:
  description: Whether the container was (or in check mode would be) changed.
  returned: always
  type: bool
actions:
  description: What was done, in order; in check mode what would be done (C(would create)).
  returned: always
  type: list
  elements: str
  sample:
    - pulled image
    - stopped
    - kept aside as web-1.maestro-previous (env.FOO changed)
    - created (with the volumes at /data)
    - started
    - removed the previous container
reasons:
  description: Why the existing container did not match and was replaced.
  returned: always
  type: list
  elements: str
  sample: ["image changed (0123456789ab -> ba9876543210)", env.FOO changed]
kept:
  description: The paths of the anonymous volumes a replacement carried into the new container.
  returned: always
  type: list
  elements: str
  sample: [/data]
rolled_back:
  description: The id of the previous container a failed replacement went back to (the task then fails).
  returned: always
  type: str
  sample: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
raced:
  description:
    - What another run (another controller, or a user) did to the same container meanwhile; the container was
      then read again and converged from what was there, instead of failing with Docker's conflict.
  returned: always
  type: list
  elements: str
  sample: [another run created it at the same time]
container:
  description: The container after the task.
  returned: always
  type: dict
  contains:
    id:
      description: Container id; null when absent (or only created in check mode).
      type: str
    name:
      description: Container name.
      type: str
    state:
      description: C(running), C(exited), C(created) or C(absent) (another Docker status
        such as C(dead) is passed on as is).
      type: str
    image_id:
      description: Id of the image the container runs.
      type: str
    started_at:
      description: When Docker last started the container.
      type: str
  sample:
    id: 4f1c0e6d2b3a...
    name: web1
    state: running
    image_id: sha256:bd80b34ac887...
    started_at: "2025-11-25T19:26:15.752758818Z"
diff:
  description: The settings that differ (and the container state) before and after.
  returned: when diff mode is on and something changes
  type: dict
  sample:
    before: {state: running, env.FOO: bar}
    after: {state: running, env.FOO: baz}
"""

from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    converge,
    module_main,
    secrets_only,
)


def main():
    module_main(ARGUMENT_SPEC, converge, secrets_only, required_if=REQUIRED_IF)


if __name__ == "__main__":
    main()
