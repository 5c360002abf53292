# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records passing between the engine's layers, each key declared once, here.

At run time they are plain dicts: JSON-able, so the lookup returns them, the inventory sets
them as host variables and plan files hold them. These TypedDicts say which keys each has,
and mypy checks every read and every literal that builds one. The model (model/) makes ships,
services, levels and instance specs; the Docker layer (docker/) converges one instance spec on
its ship and says what it did (ContainerResult); the run (run/) adds where and how that went
(InstanceResult) and sums a command up (RunResult).

Python 3.8's typing only (the container module runs on a ship's Python): keys that not every
record has are declared in a ``total=False`` subclass.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict, Union

# ---------------------------------------------------------------------------------------- ships


class _SshLogin(TypedDict):
    user: str
    key: Optional[str]
    port: int


class SshTunnel(_SshLogin, total=False):
    """MaestroNG's ``ssh_tunnel`` of a ship: how to log in to it; maestro.ng.container's also says
    where the tunnel leads on the ship."""

    target: Optional[str]  # "host:port" or a socket path there (default: socket_path, or 127.0.0.1:docker_port)


class Ship(TypedDict):
    """A Docker host and how its API is reached (TCP, TLS, a unix socket or an SSH tunnel)."""

    name: str
    ip: str  # the address containers' variables and checks use
    endpoint: str  # where the API (or the SSH tunnel) is reached
    docker_port: int
    socket_path: Optional[str]
    docker_url: str  # as given: tcp://..., unix://..., ssh://user@endpoint:port
    api_version: Optional[str]  # None: 1.41; "auto": asked of the daemon
    timeout: float
    ssh_timeout: Optional[float]
    ssh_tunnel: Optional[SshTunnel]
    tls: bool
    tls_verify: bool
    tls_ca_cert: Optional[str]
    tls_cert: Optional[str]
    tls_key: Optional[str]


# ------------------------------------------------------------------------------- an instance


class Port(TypedDict):
    """A named port: ``exposed`` in the container, ``external`` on the ship (each a number or a range)."""

    name: str
    exposed: str
    external: str
    protocol: str
    host_ip: str


class Volume(TypedDict):
    source: str  # a path on the ship, or a named volume
    target: str
    mode: str


class RestartPolicy(TypedDict):
    name: str
    maximum_retry_count: int


class Limits(TypedDict):
    cpu_shares: Optional[int]
    memory: Optional[int]  # bytes
    memswap: Optional[int]  # bytes


class Ulimit(TypedDict):
    name: str
    soft: int
    hard: int


class Check(TypedDict, total=False):
    """A lifecycle check; ``type`` says which of the other keys it has."""

    type: str  # tcp, http, exec, rexec or sleep
    port: int  # tcp, http
    host: str  # tcp, http
    max_wait: int  # tcp, http
    path: str  # http
    scheme: str  # http
    method: str  # http
    match_regex: Optional[str]  # http
    command: str  # exec, rexec
    attempts: int  # exec, rexec
    wait: float  # sleep


class Healthcheck(TypedDict, total=False):
    """Docker's healthcheck of a container (model/readiness_section.py); durations in nanoseconds,
    as Docker's API takes them. ``image``: the image's own gates readiness, nothing is set."""

    test: List[str]  # [CMD, ...], [CMD-SHELL, line] or [NONE]
    interval: int
    timeout: int
    retries: int
    start_period: int
    start_interval: int
    image: bool


class InstanceSpec(TypedDict):
    """Everything one container is made from; maestro.ng.container takes the same keys as its
    options (but ``level``: tests/unit/plugins/module_utils/docker/test_container_args.py)."""

    name: str  # the container's name
    service: str
    ship: str
    ship_ip: str
    environment: str
    image: str
    command: Union[str, List[str], None]
    env: Dict[str, str]
    ports: List[Port]
    volumes: List[Volume]
    container_volumes: List[str]
    volumes_from: List[str]
    links: Dict[str, str]
    user: Optional[str]
    privileged: bool
    cap_add: List[str]
    cap_drop: List[str]
    security_opt: List[str]
    extra_hosts: Dict[str, str]
    network_mode: Optional[str]
    hostname: Optional[str]
    restart: RestartPolicy
    dns: List[str]
    stop_timeout: int
    limits: Limits
    log_driver: Optional[str]
    log_opt: Dict[str, str]
    workdir: Optional[str]
    ulimits: List[Ulimit]
    labels: Dict[str, str]
    lifecycle: Dict[str, List[Check]]  # lifecycle state -> its checks
    healthcheck: Optional[Healthcheck]  # None: the file says none (the image's runs, nothing waits for it)
    oneshot: Optional[float]  # a container run to completion: the seconds it may take (None: a service that runs)
    level: Optional[int]  # its dependency level (set by the model's ordering)
    # Where it holds vault values: its shape, each with a keyed digest (model/vault.py); {}: none.
    secret_digests: Dict[str, Any]


# ------------------------------------------------------------------------- the environment


class Update(TypedDict):
    """How a change is rolled out to a service's instances (model/update_section.py)."""

    parallelism: Union[int, str]  # instances replaced at once: a number, or a percentage ("50%")
    delay: float  # seconds between two batches
    failure_action: str  # rollback, pause or continue


class Service(TypedDict):
    name: str
    image: str
    requires: List[str]
    wants_info: List[str]
    omit: bool
    instances: List[str]
    level: Optional[int]  # its first instance's level (set once the environment is ordered)
    update: Update


class Level(TypedDict):
    """Services and instances that can start together (0: no dependencies)."""

    level: int
    services: List[str]
    instances: List[str]


class Retry(TypedDict):
    attempts: int
    when: List[int]  # HTTP statuses that are retried


class Registry(TypedDict):
    name: str
    registry: str  # its URL
    username: Optional[str]
    password: Optional[str]
    email: Optional[str]
    retry: Retry


# An audit notifier: ``type`` (log, http, exec, slack, hipchat), ``level``, ``ignore_errors``
# and the keys of its type (model/audit_section.py).
Notifier = Dict[str, Any]

# ------------------------------------------------------------------------------ what a run did


class ContainerState(TypedDict):
    id: Optional[str]
    name: str
    state: Optional[str]  # absent, running, or Docker's status of a stopped container
    image_id: Optional[str]
    started_at: Optional[str]


class ContainerResult(TypedDict):
    """What converging one container did (docker/container.py)."""

    changed: bool
    actions: List[str]  # "created", "started", ...; in check mode "would create", ...
    reasons: List[str]  # why it was (or would be) recreated: its drift
    raced: List[str]  # what another run did to it meanwhile
    container: ContainerState
    diff: Dict[str, Any]  # {before, after} of the settings that differ
    kept: List[str]  # the paths of the anonymous volumes a replacement carried into the new container
    rolled_back: Optional[str]  # the id of the previous container a failed replacement went back to


class LiveState(TypedDict):
    """What a plan records of an instance before the run; any change of it refuses the plan."""

    container_id: Optional[str]
    state: str
    image_id: Optional[str]
    started_at: Optional[str]
    spec_image_id: Optional[str]  # the id of the wanted image on the ship


class PlanEntry(TypedDict):
    """One instance in a plan file (run/plans.py)."""

    instance: str
    service: str
    ship: str
    action: str  # create, replace, restart, start, stop, kill, remove, pull or none
    reasons: List[str]
    actions: List[str]
    rollout: Optional[Dict[str, int]]  # a replacement's batch: {batch, of, size}
    keeps: List[str]  # the anonymous volumes' paths a replacement carries over
    live: Optional[LiveState]
    spec_digest: Optional[str]


class InstanceResult(TypedDict, total=False):
    """One instance's outcome in a run: where it is, and what was done to it (or why not).
    Every result has the keys of run.runner.blank_result; the others when they apply."""

    instance: str
    service: str
    ship: str
    changed: bool
    failed: bool
    actions: List[str]
    reasons: List[str]
    msg: str  # why it failed or was skipped
    skipped: bool  # not acted on
    kept_going: bool  # skipped by keep_going (a lost ship, a failed dependency)
    unreachable: bool  # its ship did not answer
    raced: List[str]
    container: ContainerState
    diff: Dict[str, Any]
    kept: List[str]
    rolled_back: Optional[str]
    rollout: Dict[str, int]  # a replacement's batch: {batch, of, size}
    live: LiveState  # when a plan is made
    spec_digest: str  # when a plan is made


class StepRecord(TypedDict):
    """One step of a run (model/schedule.py) as it went: what ``deps`` reads back as the last run's times."""

    service: str
    level: int
    instances: int  # how many it worked on
    changed: int  # how many of them it changed
    after: List[str]  # the services it waited for
    seconds: float


class RunResult(TypedDict, total=False):
    """A command's result, as the orchestrate action returns it."""

    changed: bool
    failed: bool
    command: str  # the orchestrate state
    instances: List[InstanceResult]
    counts: Dict[str, int]  # total, changed, failed, skipped
    seconds: float
    summary: str  # the summary line
    msg: str
    interrupted: Optional[str]  # the signal that stopped it
    skipped_instances: List[Dict[str, str]]  # {instance, ship, why} of keep_going's skips
    moved: List[str]  # apply_plan: the instances whose live state moved
    plan: str  # the plan file written
    environment: str
    diff: List[Dict[str, Any]]
    steps: List[StepRecord]  # the steps that ran, in the order they were planned


class StatusRow(TypedDict, total=False):
    """One instance in the status view."""

    service: str
    instance: str
    ship: str
    ship_ip: str
    image: str
    image_id: Optional[str]
    container_id: Optional[str]
    state: str
    status: str
    ports: List[str]
    drift: Optional[List[str]]  # None: no container to compare; []: matches the file
    error: str  # why its ship is down
    rolled_back: str  # why its last change was rolled back (its failed container is kept)
    port_states: Dict[str, str]  # each named port's state seen from the controller (status ports=true)
