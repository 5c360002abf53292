# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`maestro`: MaestroNG's command line, run by the maestro.ng collection's playbooks.

    maestro -f env.yaml start kafka      ->  ansible-playbook .../playbooks/start.yml
                                               -e env=/abs/env.yaml -e '{"services": ["kafka"]}' ...

`translate()` turns MaestroNG's arguments into an ansible-playbook command line (pure, unit
tested); `main()` runs it and returns ansible-playbook's exit code.
"""
__version__ = "0.3.0"
