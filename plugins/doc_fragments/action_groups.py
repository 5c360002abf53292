# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The module_defaults groups of meta/runtime.yml, one fragment per group.
    ENVIRONMENT = r"""
attributes:
  action_group:
    description:
      - Use C(group/maestro.ng.environment) in C(module_defaults) to set C(env) and the selection once
        for this module and the others of its group.
    support: full
    membership:
      - maestro.ng.environment
"""

    DOCKER = r"""
attributes:
  action_group:
    description:
      - Use C(group/maestro.ng.docker) in C(module_defaults) to set the Docker connection options
        (C(docker_url), C(tls), ...) once for this module and the others of its group.
    support: full
    membership:
      - maestro.ng.docker
"""
