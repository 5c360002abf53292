"""What the integration tests share: the lab of real ships (lab.py), environment files and
playbook runs (envs.py), and the real components some tests start themselves: a Docker
registry (registry.py), an sshd in a ship's namespace (sshd.py), a proxy that delays or logs
Docker API calls (slowproxy.py)."""
