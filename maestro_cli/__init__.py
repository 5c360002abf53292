# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`maestro`: MaestroNG's command line, run by the maestro.ng collection's engine.

`main()` runs the command in this process with the collection's module_utils (engine.py);
with ansible-playbook options after `--`, or `--via-ansible`, it runs the playbook instead:

    maestro -f env.yaml start kafka -- -v  ->  ansible-playbook .../playbooks/start.yml
                                                 -e env=/abs/env.yaml -e '{"services": ["kafka"]}' -v

`translate()` turns MaestroNG's arguments into that command line (pure, unit tested), and
its playbook variables are what the engine path reads too.
"""

__version__ = "0.4.0"
