# Copyright: maestro.ng contributors
# Apache License 2.0 (see LICENSE)
"""`maestro`: MaestroNG's command line, run by the maestro.ng collection's playbooks.

    maestro -f env.yaml start kafka      ->  ansible-playbook .../playbooks/start.yml
                                               -e env=/abs/env.yaml -e '{"services": ["kafka"]}' ...

`translate()` turns MaestroNG's arguments into an ansible-playbook command line (pure, unit
tested); `main()` runs it and returns ansible-playbook's exit code.
"""
__version__ = "0.1.0"
