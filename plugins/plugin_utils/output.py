# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tones (plugins/module_utils/run/report.py) as Ansible's configured colours.

Colour follows Ansible's own rules (ansible.utils.color): none when stdout is not a
terminal, ANSIBLE_NOCOLOR / NO_COLOR turn it off, ANSIBLE_FORCE_COLOR turns it on.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.utils.color import stringc

from ansible_collections.maestro.ng.plugins.module_utils.run.report import TONES


def colour(tone):
    """The colour name of a tone, as ansible.cfg's [colors] set it (None: none)."""
    return getattr(C, TONES[tone].setting) if tone in TONES else None


def paint(text, tone):
    """``text`` in its tone's colour, when colour is on."""
    name = colour(tone)
    return stringc(text, name) if name else text


def say(display, line):
    """Show a progress line (report.Line or str) in its tone's colour, a verbose one only from its
    verbosity on (-v)."""
    verbosity = getattr(line, "verbosity", 0)
    if display.verbosity >= verbosity:
        display.display(str(line), color=colour(getattr(line, "tone", None)))
