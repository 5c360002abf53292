# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # How maestro.ng.container and maestro.ng.instances reach a ship and run (container_args.CONNECTION_SPEC).
    DOCUMENTATION = r"""
options:
  state:
    description:
      - C(started) creates the container if needed (recreating it when its settings
        changed) and makes sure it runs.
      - C(stopped) stops a running container (with the instance's C(stop_timeout)); C(killed) kills it.
      - C(absent) stops and removes the container and its anonymous volumes.
      - C(restarted) stops and starts the container, recreating it when its settings
        changed.
    type: str
    default: started
    choices: [started, stopped, killed, absent, restarted]
  refresh:
    description:
      - Pull the image before converging, even when the host already has it. A new image
        id then counts as a change.
    type: bool
    default: false
  start_grace:
    description:
      - With O(state=started) or O(state=restarted), seconds a container without C(running) lifecycle checks
        must keep running after its start; one that exits within them fails the task with its exit code and
        last log lines.
      - V(0) inspects it once right after the start, as MaestroNG does; the daemon takes 0.1-0.3 s to notice a
        command that exits at once, so V(0.5) is what reliably catches those.
    type: float
    default: 0
  wait_healthy:
    description:
      - With O(state=started) or O(state=restarted), a container whose C(healthcheck) gates readiness counts as
        started once Docker says it is C(healthy); one that turns C(unhealthy) fails the task with its last probes'
        output (a replacement is rolled back). V(false) counts it as started once it runs.
    type: bool
    default: true
    version_added: 0.4.0
  adopt:
    description:
      - Take over a container with the instance's C(name) that was not made for it and its C(environment) (by hand, by
        MaestroNG, by another environment); a drifted one is replaced, with its anonymous volumes.
    type: bool
    default: false
  docker_url:
    description:
      - URL of the Docker API, C(tcp://host:port) or C(unix:///path/to/socket).
      - The ship's C(docker_url) in the P(maestro.ng.environment#lookup) lookup's data (C(maestro_docker_url) of the
        P(maestro.ng.maestro#inventory) inventory).
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_host]
  api_version:
    description:
      - Docker API version to speak. V(auto) asks the daemon (one more request); unset
        uses 1.41 (Docker 20.10).
    type: str
  timeout:
    description: Seconds to wait for an answer of the Docker API.
    type: float
    default: 60
  tls:
    description: Connect to the Docker API with TLS.
    type: bool
    default: false
  tls_verify:
    description: Connect with TLS and verify the daemon's certificate against O(tls_ca_cert).
    type: bool
    default: false
  tls_ca_cert:
    description: CA certificate to verify the daemon with.
    type: path
    aliases: [ca_cert]
  tls_cert:
    description: Client certificate to authenticate with (with O(tls_key)).
    type: path
    aliases: [client_cert]
  tls_key:
    description: Private key of O(tls_cert).
    type: path
    aliases: [client_key]
  ssh_tunnel:
    description:
      - Reach the Docker API through an SSH tunnel, as MaestroNG's ship C(ssh_tunnel) does; the
        P(maestro.ng.maestro#inventory) inventory sets C(maestro_docker_ssh_tunnel) for such ships, and the
        C(maestro.ng.service) role passes it here.
      - The system C(ssh) client (C(BatchMode), C(StrictHostKeyChecking=accept-new), no multiplexing)
        forwards a free port on 127.0.0.1 of the host running the module to O(ssh_tunnel.target) on
        O(ssh_tunnel.host); O(docker_url) is then not used. Extra C(ssh) arguments
        can be given in the environment variable E(MAESTRO_SSH_ARGS). One tunnel per route and process,
        ended when the process exits.
    type: dict
    suboptions:
      host:
        description: Host to log in to.
        type: str
        required: true
      user:
        description: User to log in as.
        type: str
        required: true
      port:
        description: SSH port.
        type: int
        default: 22
      key:
        description: Private key to log in with; unset leaves it to C(ssh) (agent, C(~/.ssh/config)).
        type: path
      target:
        description: Where the Docker API is, seen from O(ssh_tunnel.host) (C(host:port)) or a unix socket path there.
        type: str
        default: 127.0.0.1:2375
      timeout:
        description: Seconds C(ssh) may take to connect (C(ConnectTimeout)); default 10.
        type: int
  registries:
    description:
      - Logins and retry policies for the pulls of the image, as the C(registries) section of a MaestroNG
        environment file gives them; a map of registry name to C(registry) (its URL, required), C(username),
        C(password), C(email) and C(retry) (C(attempts), default 3, and C(when), the HTTP statuses to retry on).
      - The P(maestro.ng.maestro#inventory) inventory plugin sets it as C(maestro_registries) (the C(maestro.ng.service)
        role passes it here), and the C(maestro.ng.environment) lookup returns it as C(registries).
      - The image's registry is found as the playbooks find it - the first part of the image name as a registry
        name, then as the host of a C(registry) URL - and its login is sent only when Docker pulls the image
        from the host of that URL. A pull failing with a status in C(retry.when) is tried again 1 s later, up to
        C(retry.attempts) attempts in all; refused credentials are never retried.
      - Unset or no match - Docker's own credentials apply (C(~/.docker/config.json) of the user running the
        module), without retries. On a connection other than C(local), only the registry of the image is sent
        to the host.
      - Passwords never appear in results or errors; see C(docs/docsite/rst/registries.rst).
    type: dict
"""
