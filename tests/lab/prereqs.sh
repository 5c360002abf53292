#!/usr/bin/env bash
# prereqs.sh - what `make test`, `make demo` and `.ci/run` need on this machine, in one place.
#
# Usage: prereqs.sh [test|unit|demo]     (default test; `make integration` uses test too)
#
# As root (Debian/Ubuntu): installs the missing packages with ONE `apt-get update` and ONE
# `apt-get install`, then starts the main dockerd if it does not answer (lab.sh main-daemon)
# and builds the test images if they are missing (lab.sh image). When nothing is missing it
# does nothing at all (no apt-get) and says so in one line.
# As a normal user (or without apt-get): installs nothing; prints in one block what is
# missing and which tests that skips. With MAESTRO_REQUIRE_LAB=1 (CI) that is an error.
#
# A package counts as present when the tools the tests use are there (so Docker from
# docker-ce is fine), not by asking dpkg.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SH=$(cd "$HERE/../.." && pwd)/files/lab/lab.sh
LAB_IMAGE=${LAB_IMAGE:-maestro-test/busybox}
LAB_BUSYBOX=${LAB_BUSYBOX:-/bin/busybox}
PYTHON=${PYTHON:-python3}
# Normal users often have no sbin directories on PATH; the tools are still there.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# package          needed by  tools it provides that the tests use ("venv" and "busybox": see probe)
PACKAGES="
make               venv       make
python3-venv       venv       venv
docker.io          lab        docker dockerd
busybox-static     lab        busybox
iptables           lab        iptables
iproute2           lab        ip
util-linux         lab        nsenter setsid flock
docker-registry    registry   docker-registry
apache2-utils      registry   htpasswd
openssl            registry   openssl
openssh-server     ssh        sshd
openssh-client     ssh        ssh ssh-keygen
"
# What is skipped (or, with MAESTRO_REQUIRE_LAB=1, fails) without a group.
declare -A SKIPS=(
    [venv]="everything: make venv cannot build .venv"
    [lab]="every lab test (tests/integration) and make demo's ships"
    [registry]="registry tests (tests/integration/test_registry.py)"
    [ssh]="SSH ship tests (tests/integration/test_ssh.py)"
    [root]="every lab test (tests/integration): the lab needs root"
    [daemon]="tests/integration/test_container_manager.py"
)

area=${1:-test}
case $area in
    test|integration) groups="venv lab registry ssh" ;;
    unit) groups="venv" ;;
    demo) groups="venv lab" ;;
    *) echo "usage: prereqs.sh [test|unit|demo]" >&2; exit 2 ;;
esac

say() { printf 'prereqs: %s\n' "$*"; }

# Is this tool there and working?
probe() {
    case $1 in
        venv) "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
        # The test images are FROM scratch + this busybox: it must be the static one.
        busybox) [[ -x $LAB_BUSYBOX ]] && ! ldd "$LAB_BUSYBOX" >/dev/null 2>&1 ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# "package group (missing tools)" for each missing package of the wanted groups.
missing_packages() {
    local pkg group tools tool lost
    while read -r pkg group tools; do
        [[ -n $pkg && " $groups " == *" $group "* ]] || continue
        lost=""
        for tool in $tools; do probe "$tool" || lost+=" $tool"; done
        [[ -z $lost ]] || echo "$pkg $group (${lost# })"
    done <<<"$PACKAGES"
}

main_daemon_up() { timeout 10 docker -H unix:///var/run/docker.sock version >/dev/null 2>&1; }
images_present() {
    docker -H unix:///var/run/docker.sock image inspect "$LAB_IMAGE:latest" "$LAB_IMAGE:v2" >/dev/null 2>&1
}
needs_daemon() { [[ " $groups " == *" lab "* ]]; }
package_names() { awk '{print $1}' <<<"$1" | paste -sd' '; }

missing=$(missing_packages)

# ------------------------------------------------------------------ root: install and start
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    did=""
    if [[ -n $missing ]]; then
        packages=$(package_names "$missing")
        say "installing $packages (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq </dev/null >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $packages </dev/null >/dev/null
        still=$(missing_packages)
        [[ -z $still ]] || { say "still missing after apt-get install: $still" >&2; exit 1; }
        did+="installed $packages; "
    fi
    if needs_daemon; then
        if ! main_daemon_up; then
            bash "$LAB_SH" main-daemon </dev/null
            did+="started the main dockerd; "
        fi
        if ! images_present; then
            bash "$LAB_SH" image </dev/null >/dev/null
            did+="built $LAB_IMAGE:latest and :v2; "
        fi
    fi
    if [[ -z $did ]]; then
        say "nothing to do for make $area: every package is installed$(needs_daemon && echo ', the main dockerd answers and the test images exist')"
    else
        say "${did%; }"
    fi
    exit 0
fi

# ------------------------------------------------------------------ otherwise: report
# As a normal user `make demo` runs on your own Docker daemon (examples/demo.sh checks it).
if [[ $area == demo && $(id -u) -ne 0 ]]; then
    groups=venv
    missing=$(missing_packages)
fi
declare -A lost=()
while read -r pkg group tools; do
    [[ -n $pkg ]] && lost[$group]+="${lost[$group]:+, }$pkg $tools"
done <<<"$missing"
if needs_daemon; then
    [[ $(id -u) -eq 0 ]] || lost[root]="not root"
    if ! main_daemon_up; then
        lost[daemon]="no usable main dockerd (unix:///var/run/docker.sock)"
    elif ! images_present; then
        lost[daemon]="no $LAB_IMAGE:latest and :v2 on the main dockerd"
    fi
fi
if (( ${#lost[@]} == 0 )); then
    say "nothing to do for make $area: everything it needs is there"
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    why="no apt-get here"; hint="install them (Debian names)"
else
    why="not root"; hint="as root, \`make $area\` installs them"
fi
say "$why, so nothing is installed or started; missing, and what it skips:"
for group in root venv lab registry ssh daemon; do
    [[ -n ${lost[$group]:-} ]] && printf '  %-60s -> %s\n' "${lost[$group]}" "${SKIPS[$group]}"
done
[[ -z $missing ]] || echo "  $hint: apt-get install $(package_names "$missing")"
if [[ ${MAESTRO_REQUIRE_LAB:-} == 1 ]]; then
    say "MAESTRO_REQUIRE_LAB=1: nothing may be skipped, so this is an error" >&2
    exit 1
fi
