# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Which part of an environment a command acts on.
    DOCUMENTATION = r"""
options:
  env:
    description:
      - Path of the MaestroNG environment file, or C(-) for standard input.
      - It is rendered with Jinja2 (C(env) = the process environment) and checked before any Docker call; a
        bad file fails with one line naming the file, the line and the key path.
    type: str
    required: true
  services:
    description:
      - Service or instance names (or fnmatch patterns) to act on. Empty means every service not marked C(omit).
    type: list
    elements: str
    default: []
  with_dependencies:
    description:
      - Also act on what the selection depends on (start-like commands) or on what depends on it (stop-like
        commands). MaestroNG's C(-o) is O(with_dependencies=false).
    type: bool
    default: true
  ships:
    description: Only instances on ships whose names match these fnmatch patterns.
    type: list
    elements: str
    default: []
"""
