#!/usr/bin/env bash
# `make demo`: start examples/demo.yaml and print its status, wherever Docker is.
#
# As root: a 3-ship lab (files/lab/lab.sh) with the local demo image, then
# examples/demo.yaml (`make demo` first runs tests/lab/prereqs.sh demo, which installs
# Docker, busybox-static, iptables and iproute2 when missing and starts dockerd). As a
# normal user with a running Docker daemon: builds the demo image on that daemon and uses
# it as the only ship (examples/demo-local.yaml).
# Nothing is pulled from a registry either way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ANSIBLE_CONFIG=$PWD/ansible.cfg
# ansible-core imports cryptography's DSA (for its ssh-agent support), which cryptography >= 46
# deprecates with a warning on every ansible-playbook run: noise, not the demo's.
export PYTHONWARNINGS="ignore:DSA is deprecated${PYTHONWARNINGS:+,$PYTHONWARNINGS}"
PLAYBOOK=.venv/bin/ansible-playbook
IMAGE=maestro-test/busybox:latest

say() { printf '\n==> %s\n' "$*"; }

if [[ $(id -u) -eq 0 ]]; then
    say "three local ships (network namespaces, each with its own dockerd)"
    bash files/lab/lab.sh up 3
    ENV_FILE=examples/demo.yaml
else
    docker info >/dev/null 2>&1 || {
        echo "make demo needs either root (to build a local lab) or a running Docker daemon you can use" >&2
        exit 1
    }
    if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
        [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || {
            echo "the demo image is built from a static busybox: install busybox-static" >&2
            exit 1
        }
        say "building the demo image $IMAGE on your Docker daemon"
        context=$(mktemp -d)
        trap 'rm -rf "$context"' EXIT
        cp files/lab/image/Dockerfile /bin/busybox "$context/"
        DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$context" >/dev/null
    fi
    ENV_FILE=examples/demo-local.yaml
fi

say "ansible-playbook playbooks/start.yml -e env=$ENV_FILE"
"$PLAYBOOK" playbooks/start.yml -e env="$ENV_FILE"
say "ansible-playbook playbooks/status.yml -e env=$ENV_FILE"
"$PLAYBOOK" playbooks/status.yml -e env="$ENV_FILE"
