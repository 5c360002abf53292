# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values shared by the model (what a file that leaves a key out means) and the code
that runs containers and checks (what a spec built by hand, without the model, gets)."""

from __future__ import annotations

# The Docker API's TCP ports, without and with TLS.
DEFAULT_DOCKER_PORT = 2375
DEFAULT_TLS_PORT = 2376
# Seconds a ship's Docker API call may take. MaestroNG's 5 s made large cold starts fail
# half-way; 60 s is the default here.
DEFAULT_TIMEOUT = 60
# Seconds between SIGTERM and SIGKILL on stop (Docker's own default).
DEFAULT_STOP_TIMEOUT = 10
# Seconds a oneshot service's container may run to completion (its service's oneshot: {timeout: ...}).
ONESHOT_TIMEOUT = 3600.0
# Seconds a tcp or http lifecycle check keeps trying (MaestroNG's defaults).
CHECK_MAX_WAIT = {"tcp": 180, "http": 300}
# Tries of an exec/rexec lifecycle check (MaestroNG's default).
EXEC_CHECK_ATTEMPTS = 180
# Threads a run works with at most (instances at once, ships listed at once), and so the
# connections kept open per ship (docker/client.py): one per thread.
MAX_THREADS = 32
# Operations at once on one ship, at most (the orchestrate option ship_concurrency): as many as
# a ship's client keeps connections open.
SHIP_CONCURRENCY = MAX_THREADS
# What a service's failed rollout batch does (model/update_section.py, the orchestrate option).
FAILURE_ACTIONS = ("rollback", "pause", "continue")
# What a password or token is printed as (audit messages, registry errors).
HIDDEN = "********"
