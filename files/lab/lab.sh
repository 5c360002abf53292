#!/usr/bin/env bash
# lab.sh - a local multi-host Docker lab ("ships") built from network namespaces.
#
# Each ship K (1-based) is:
#   * a network namespace  shipK
#   * a veth pair: host side "mlabK" enslaved to the bridge mbr0,
#                  netns side "eth0" with 10.250.0.(K+1)/24, default route via 10.250.0.1
#   * its own dockerd (with its own, dockerd-managed containerd) started inside the netns
#     with nsenter, listening on tcp://10.250.0.(K+1):2375 (no TLS) and on a unix socket
#     /run/mlab/shipK/docker.sock
#   * the test images maestro-test/busybox:latest and :v2 (built from files/lab/image on
#     the main daemon, then copied with docker save | docker load: nothing can be pulled).
#
# The host side gets the bridge mbr0 with 10.250.0.1/24 and one iptables rule
# (DOCKER-USER: -i mbr0 -o mbr0 -j ACCEPT) so that containers on one ship can reach
# published ports on another ship (bridged frames go through the host FORWARD chain,
# whose policy the main dockerd set to DROP).
#
# Usage:
#   lab.sh up N         create ships 1..N (idempotent; also recovers ships whose daemon
#                       died; "up A-B": ships A..B only), make sure the main dockerd runs and has the test images,
#                       wait for each ship API, load the images; prints "NAME URL SOCKET"
#                       per ship
#   lab.sh down         stop every ship daemon (by pidfile), remove netns, veths, bridge,
#                       iptables rule and data dirs (the main dockerd is left running)
#   lab.sh status       show the state of the lab
#   lab.sh urls         print "NAME URL SOCKET" for each ship whose API answers
#   lab.sh reset        remove every container on every ship (keeps ships and images)
#   lab.sh stop-ship K  SIGTERM ship K's dockerd (by pidfile) and wait until it is gone;
#                       the netns stays, so its API refuses connections (an unreachable
#                       ship); its containers stay (stopped) in its data-root
#   lab.sh start-ship K start ship K's dockerd again and wait for its API (creating the
#                       ship if needed)
#   lab.sh down-ship K  remove ship K and only it: containers, daemons, netns, veth, dirs
#   lab.sh tls-ship K DIR  make ship K a TLS ship (creating it if needed): its dockerd
#                       serves tcp://IP:2376 with --tlsverify, using DIR/ca.pem,
#                       DIR/server-cert.pem and DIR/server-key.pem (copied into the ship's
#                       data dir); restarts the daemon only when they changed. lab.sh
#                       itself then talks to the ship over its unix socket. Prints the
#                       ship line (URL tcp://IP:2376). `tls-ship K off` makes it plain again
#   lab.sh main-daemon  make sure the main dockerd (/var/run/docker.sock) answers; start
#                       it (setsid, pidfile /run/mlab-main-dockerd.pid, log
#                       /var/log/mlab-main-dockerd.log) only if it does not
#   lab.sh image [--force]  make sure the test images exist on the main daemon (build
#                       them if missing, or always with --force)
#
# Environment overrides (defaults in brackets):
#   LAB_NET     first three octets of the lab /24          [10.250.0]
#   LAB_ROOT    persistent data (docker data-roots, logs)  [/var/lib/mlab]
#   LAB_RUN     runtime dir (exec-roots, sockets; keep it SHORT: unix socket paths
#               are limited to 108 bytes)                  [/run/mlab]
#   LAB_IMAGE   repository of the test image (tags latest, v2)  [maestro-test/busybox]
#   LAB_EXTRA_IMAGES  more images (space separated) copied from the main daemon  []
#   LAB_IMAGE_DIR  build context of the test image         [<this dir>/image]
#   LAB_BUSYBOX    static busybox put into the image       [/bin/busybox]
#   LAB_MAIN_DOCKER  the main daemon                       [unix:///var/run/docker.sock]
#   LAB_DOCKER  docker CLI                                 [docker]
#   LAB_PORT    ship API port                              [2375]
#   LAB_TLS_PORT  API port of a TLS ship (tls-ship)        [2376]
#   LAB_WAIT    seconds to wait for a daemon API           [90]
#   LAB_LOCK    lock file serialising lab.sh runs          [/run/mlab.lock]
#
# Safety rules this script follows:
#   * never touches eth0, the default route, or the VM's own network (refuses to use a /24
#     that is already routed somewhere other than the lab bridge, and 192.0.2.0/24);
#   * only ever signals processes whose pid it read from its own pidfiles (or whose command
#     line names this lab's own exec-root), never by process name;
#   * the main dockerd is only started when it does not answer, and never stopped.
set -euo pipefail

LAB_NET=${LAB_NET:-10.250.0}
LAB_ROOT=${LAB_ROOT:-/var/lib/mlab}
LAB_RUN=${LAB_RUN:-/run/mlab}
LAB_IMAGE=${LAB_IMAGE:-maestro-test/busybox}
LAB_IMAGE=${LAB_IMAGE%:latest}          # accept the old "repo:latest" form too
LAB_EXTRA_IMAGES=${LAB_EXTRA_IMAGES:-}
LAB_IMAGE_DIR=${LAB_IMAGE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/image}
LAB_BUSYBOX=${LAB_BUSYBOX:-/bin/busybox}
LAB_MAIN_DOCKER=${LAB_MAIN_DOCKER:-unix:///var/run/docker.sock}
LAB_DOCKER=${LAB_DOCKER:-docker}
LAB_PORT=${LAB_PORT:-2375}
LAB_TLS_PORT=${LAB_TLS_PORT:-2376}
LAB_WAIT=${LAB_WAIT:-90}
LAB_LOCK=${LAB_LOCK:-/run/mlab.lock}

DEFAULT_MAIN_DOCKER=unix:///var/run/docker.sock
MAIN_PIDFILE=/run/mlab-main-dockerd.pid
MAIN_LOG=/var/log/mlab-main-dockerd.log

BRIDGE=mbr0
HOST_IP="${LAB_NET}.1"
SHIP_PREFIX=ship      # netns + directory names: ship1, ship2, ...
VETH_PREFIX=mlab      # host-side veth names:    mlab1, mlab2, ...
MAX_SHIPS=250   # ship K is 10.250.0.(K+1)

log()  { printf '[lab] %s\n' "$*" >&2; }
die()  { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# The docker CLI must never pick up a DOCKER_HOST / context from the caller.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true
export DOCKER_CLI_HINTS=false
main_docker() { "$LAB_DOCKER" -H "$LAB_MAIN_DOCKER" "$@"; }

lab_images() { echo "${LAB_IMAGE}:latest ${LAB_IMAGE}:v2${LAB_EXTRA_IMAGES:+ $LAB_EXTRA_IMAGES}"; }

ship_ip()   { echo "${LAB_NET}.$(( $1 + 1 ))"; }
ship_name() { echo "${SHIP_PREFIX}$1"; }
ship_data() { echo "${LAB_ROOT}/$(ship_name "$1")"; }
ship_run()  { echo "${LAB_RUN}/$(ship_name "$1")"; }
ship_sock() { echo "$(ship_run "$1")/docker.sock"; }
ship_pidfile() { echo "$(ship_run "$1")/dockerd.pid"; }
# A TLS ship (tls-ship K DIR) keeps its server certificates in its data dir.
ship_tls_dir() { echo "$(ship_data "$1")/tls"; }
ship_is_tls()  { [[ -f $(ship_tls_dir "$1")/ca.pem ]]; }
ship_url() {
    if ship_is_tls "$1"; then echo "tcp://$(ship_ip "$1"):${LAB_TLS_PORT}"; else echo "tcp://$(ship_ip "$1"):${LAB_PORT}"; fi
}
# Where lab.sh talks to a ship: its TCP API, or for a TLS ship (lab.sh has no client
# certificate) its unix socket.
ship_api() { if ship_is_tls "$1"; then echo "unix://$(ship_sock "$1")"; else ship_url "$1"; fi; }
ship_docker() { local k=$1; shift; "$LAB_DOCKER" -H "$(ship_api "$k")" "$@"; }
ship_line() { echo "$(ship_name "$1") $(ship_url "$1") $(ship_sock "$1")"; }

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

require_tools() {
    local t
    for t in ip nsenter setsid dockerd "$LAB_DOCKER" iptables timeout flock; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
}

# Serialise every command that changes the lab (parallel pytest workers, CI, humans).
# Long-lived children (dockerd) are started with 9>&- so they do not keep the lock.
take_lock() {
    exec 9>"$LAB_LOCK"
    flock -w 600 9 || die "could not lock $LAB_LOCK within 600s"
}

valid_k() {
    [[ ${1:-} =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= MAX_SHIPS )) \
        || die "ship number must be 1..$MAX_SHIPS (got '${1:-}')"
}

# Refuse to run when the lab /24 collides with an existing route that is not ours
# (e.g. the VM's own 192.0.2.0/24 on eth0).
check_subnet() {
    [[ $LAB_NET =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "LAB_NET must look like A.B.C (got $LAB_NET)"
    case "$LAB_NET" in
        192.0.2) die "refusing to use 192.0.2.0/24: that is the VM's own network" ;;
    esac
    local line
    while read -r line; do
        [[ -z $line ]] && continue
        [[ $line == *" dev ${BRIDGE} "* || $line == *" dev ${BRIDGE}" ]] && continue
        die "route conflict for ${LAB_NET}.0/24: '$line' (choose another LAB_NET)"
    done < <(ip -4 route show to match "${LAB_NET}.1" | grep -v '^default' || true)
}

# Print the pid of ship K's dockerd if (and only if) it is alive and really is the
# dockerd we started (its command line carries our exec-root), else nothing.
ship_pid() {
    local k=$1 pf pid
    pf=$(ship_pidfile "$k")
    [[ -s $pf ]] || return 0
    pid=$(<"$pf")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    [[ -r /proc/$pid/cmdline ]] || return 0
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "--exec-root $(ship_run "$k") "; then
        echo "$pid"
    fi
}

# The pid of the containerd a dockerd with exec-root RUN manages, if alive and really that one.
containerd_pid_in() {
    local run=$1 cpid
    [[ -s $run/containerd/containerd.pid ]] || return 0
    cpid=$(<"$run/containerd/containerd.pid")
    [[ $cpid =~ ^[0-9]+$ && -r /proc/$cpid/cmdline ]] || return 0
    if tr '\0' ' ' 2>/dev/null <"/proc/$cpid/cmdline" | grep -q -- "$run/"; then echo "$cpid"; fi
}

ship_containerd_pid() { containerd_pid_in "$(ship_run "$1")"; }

# dockerd adopts the containerd its pidfile names if kill -0 succeeds, and then waits for a
# socket that never comes ("timeout waiting for containerd to start"). A stale pidfile can
# name anything by then: pids are reused (pid_max is 32768 here), and a thread id of another
# ship's containerd passes kill -0. Before starting the dockerd of exec-root RUN, keep the
# file only when it names that dockerd's own containerd (a kill -9'd dockerd re-adopts it).
drop_stale_containerd_pidfile() {
    [[ -n $(containerd_pid_in "$1") ]] || rm -f "$1/containerd/containerd.pid"
}

api_up() { timeout 5 "$LAB_DOCKER" -H "$(ship_api "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# ---------------------------------------------------------------------------- main daemon
main_api_up() { timeout 5 "$LAB_DOCKER" -H "$LAB_MAIN_DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# pid of a live dockerd named in a pidfile (ours, or the stock /var/run/docker.pid).
pid_from_file() {
    local pf=$1 pid
    [[ -s $pf ]] || return 0
    pid=$(<"$pf")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm ]] || return 0
    [[ $(<"/proc/$pid/comm") == dockerd ]] && echo "$pid"
    return 0
}

# Start the main dockerd in the background if it does not answer (no wait).
start_main_daemon() {
    main_api_up && return 0
    [[ $LAB_MAIN_DOCKER == "$DEFAULT_MAIN_DOCKER" ]] \
        || die "main daemon $LAB_MAIN_DOCKER does not answer (lab.sh only starts the default one)"
    local pid
    pid=$(pid_from_file "$MAIN_PIDFILE")
    [[ -n $pid ]] || pid=$(pid_from_file /var/run/docker.pid)
    if [[ -n $pid ]]; then
        log "main dockerd (pid $pid) is running but not answering yet; waiting for it"
        return 0
    fi
    command -v dockerd >/dev/null 2>&1 || die "dockerd not found (apt-get install docker.io)"
    rm -f "$MAIN_PIDFILE"
    drop_stale_containerd_pidfile /var/run/docker
    log "starting the main dockerd (log $MAIN_LOG)"
    mkdir -p "$(dirname "$MAIN_LOG")"
    setsid dockerd --pidfile "$MAIN_PIDFILE" </dev/null >>"$MAIN_LOG" 2>&1 9>&- &
}

wait_main_daemon() {
    local deadline=$(( SECONDS + LAB_WAIT ))
    until main_api_up; do
        if (( SECONDS > deadline )); then
            tail -n 30 "$MAIN_LOG" >&2 2>/dev/null || true
            die "main dockerd ($LAB_MAIN_DOCKER) did not answer within ${LAB_WAIT}s"
        fi
        sleep 0.3
    done
}

ensure_main_daemon() { start_main_daemon; wait_main_daemon; }

# ---------------------------------------------------------------------------- test images
build_images() {
    local force=${1:-0} missing=0 t
    for t in latest v2; do
        main_docker image inspect "${LAB_IMAGE}:$t" >/dev/null 2>&1 || missing=1
    done
    (( missing || force )) || return 0
    [[ -f $LAB_IMAGE_DIR/Dockerfile ]] || die "no Dockerfile in $LAB_IMAGE_DIR"
    [[ -x $LAB_BUSYBOX ]] || die "$LAB_BUSYBOX not found (apt-get install busybox-static)"
    if ldd "$LAB_BUSYBOX" >/dev/null 2>&1; then
        die "$LAB_BUSYBOX is dynamically linked; install busybox-static (it replaces busybox)"
    fi
    log "building ${LAB_IMAGE}:latest and :v2 from $LAB_IMAGE_DIR"
    cp -f "$LAB_BUSYBOX" "$LAB_IMAGE_DIR/busybox"
    # The classic builder: no buildx needed, works with the 20.10 daemon of docker.io.
    local v out
    for v in 1 2; do
        t=latest; (( v == 1 )) || t=v$v
        out=$(DOCKER_BUILDKIT=0 main_docker build -q --build-arg VERSION=$v \
                -t "${LAB_IMAGE}:$t" "$LAB_IMAGE_DIR" 2>&1) \
            || { printf '%s\n' "$out" >&2; die "building ${LAB_IMAGE}:$t failed"; }
    done
    out=$(main_docker run --rm --network none "${LAB_IMAGE}:latest" sh -c 'echo ok' 2>&1) || true
    [[ $out == ok ]] || die "the freshly built ${LAB_IMAGE}:latest does not run: $out"
}

# Export the images from the main daemon once (re-exported when an id changes).
image_tar() {
    local tar="$LAB_ROOT/images.tar" idf="$LAB_ROOT/images.id" ids="" img id
    for img in $(lab_images); do
        id=$(main_docker image inspect -f '{{.Id}}' "$img" 2>/dev/null) \
            || die "image $img not found on the main daemon ($LAB_MAIN_DOCKER)"
        ids+="$img $id"$'\n'
    done
    mkdir -p "$LAB_ROOT"
    if [[ ! -s $tar || ! -f $idf || $(<"$idf") != "${ids%$'\n'}" ]]; then
        log "exporting $(lab_images) from the main daemon"
        # shellcheck disable=SC2046
        main_docker save -o "$tar.tmp" $(lab_images)
        mv "$tar.tmp" "$tar"
        printf '%s' "${ids%$'\n'}" >"$idf"
    fi
    echo "$tar"
}

load_images() {
    local k=$1 tar=$2 img want have need=0
    while read -r img want; do
        [[ -n $img ]] || continue
        have=$(ship_docker "$k" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
        [[ $have == "$want" ]] || need=1
    done <"$LAB_ROOT/images.id"
    if (( need )); then
        log "$(ship_name "$k"): loading $(lab_images)"
        ship_docker "$k" load -q -i "$tar" >/dev/null || die "$(ship_name "$k"): docker load failed"
    fi
}

# ---------------------------------------------------------------------------- host side
ensure_bridge() {
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        log "creating bridge $BRIDGE (${HOST_IP}/24)"
        ip link add "$BRIDGE" type bridge
    fi
    if ! ip -4 addr show dev "$BRIDGE" | grep -q "inet ${HOST_IP}/24"; then
        ip addr add "${HOST_IP}/24" dev "$BRIDGE"
    fi
    ip link set "$BRIDGE" up
}

# The chain the rule lives in: DOCKER-USER when the main dockerd created it, else FORWARD.
fwd_chain() { if iptables -w -n -L DOCKER-USER >/dev/null 2>&1; then echo DOCKER-USER; else echo FORWARD; fi; }

ensure_iptables() {
    local chain; chain=$(fwd_chain)
    if ! iptables -w -C "$chain" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; then
        log "iptables: allow $BRIDGE <-> $BRIDGE forwarding ($chain)"
        iptables -w -I "$chain" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    fi
}

remove_iptables() {
    local chain
    for chain in DOCKER-USER FORWARD; do
        while iptables -w -C "$chain" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do
            log "iptables: removing $BRIDGE rule from $chain"
            iptables -w -D "$chain" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
        done
    done
}

# ------------------------------------------------------------------------- ship network
ensure_ship_net() {
    local k=$1 ns veth ip
    ns=$(ship_name "$k"); veth="${VETH_PREFIX}${k}"; ip=$(ship_ip "$k")
    [[ -e /var/run/netns/$ns ]] || { log "$ns: creating netns"; ip netns add "$ns"; }
    if ! ip link show "$veth" >/dev/null 2>&1; then
        # A stale eth0 inside the netns (host side vanished) would block the rename below.
        ip -n "$ns" link del eth0 2>/dev/null || true
        log "$ns: creating veth $veth <-> $ns:eth0"
        ip link add "$veth" type veth peer name "${veth}p"
        ip link set "${veth}p" netns "$ns"
        ip -n "$ns" link set "${veth}p" name eth0
    fi
    ip link set "$veth" master "$BRIDGE"
    ip link set "$veth" up
    ip -n "$ns" link set lo up
    if ! ip -n "$ns" -4 addr show dev eth0 | grep -q "inet ${ip}/24"; then
        ip -n "$ns" addr add "${ip}/24" dev eth0
    fi
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$HOST_IP" dev eth0
}

# ------------------------------------------------------------------------- ship daemon
start_ship_daemon() {
    local k=$1 ns data run ip pid tls tcp
    ns=$(ship_name "$k"); data=$(ship_data "$k"); run=$(ship_run "$k"); ip=$(ship_ip "$k")
    pid=$(ship_pid "$k")
    if [[ -n $pid ]]; then
        return 0
    fi
    tcp=(-H "tcp://${ip}:${LAB_PORT}" --tls=false)
    if ship_is_tls "$k"; then
        tls=$(ship_tls_dir "$k")
        tcp=(-H "tcp://${ip}:${LAB_TLS_PORT}" --tlsverify --tlscacert "$tls/ca.pem"
             --tlscert "$tls/server-cert.pem" --tlskey "$tls/server-key.pem")
    fi
    mkdir -p "$data/data" "$run"
    (( ${#run} + 40 < 100 )) || die "LAB_RUN path too long for unix sockets: $run"
    # An explicit, empty daemon config: the ship must not pick up /etc/docker/daemon.json.
    [[ -f $data/daemon.json ]] || echo '{}' >"$data/daemon.json"
    rm -f "$run/dockerd.pid" "$run/docker.sock"
    drop_stale_containerd_pidfile "$run"
    log "$ns: starting dockerd on $(ship_url "$k")"
    # nsenter (not `ip netns exec`, which remounts /sys and hides the cgroup mounts);
    # setsid so the daemon survives the caller's process group / terminal; 9>&- so it does
    # not inherit the lab lock.
    # No --containerd: dockerd starts and supervises its own containerd under $run (after a
    # kill -9 of dockerd, the new dockerd re-adopts a still-running one via its pidfile).
    setsid nsenter --net="/var/run/netns/$ns" \
        dockerd \
            --data-root "$data/data" \
            --exec-root "$run" \
            --pidfile "$run/dockerd.pid" \
            --config-file "$data/daemon.json" \
            -H "unix://$run/docker.sock" \
            "${tcp[@]}" \
            --log-level warn \
            --shutdown-timeout 5 \
        </dev/null >>"$data/dockerd.log" 2>&1 9>&- &
}

wait_ship() {
    local k=$1 ns deadline start=$SECONDS
    ns=$(ship_name "$k"); deadline=$(( SECONDS + LAB_WAIT ))
    until api_up "$k"; do
        if (( SECONDS > deadline )); then
            tail -n 30 "$(ship_data "$k")/dockerd.log" >&2 || true
            die "$ns: API $(ship_url "$k") did not answer within ${LAB_WAIT}s"
        fi
        # Give dockerd a moment to write its pidfile before declaring it dead.
        if [[ -z $(ship_pid "$k") ]] && (( SECONDS > start + 8 )); then
            tail -n 30 "$(ship_data "$k")/dockerd.log" >&2 || true
            die "$ns: dockerd is not running (see $(ship_data "$k")/dockerd.log)"
        fi
        sleep 0.2
    done
}

# Run "FUNC K [ARGS]" for each K in parallel; fail if any failed.
for_ships_parallel() {
    local fn=$1 ships=$2; shift 2
    local k pids=() rc=0 p
    for k in $ships; do "$fn" "$k" "$@" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    return $rc
}

wait_and_load() { wait_ship "$1"; load_images "$1" "$2"; }

# ------------------------------------------------------------------------- teardown
# Stop a pid we own: TERM, wait, then KILL.
stop_pid() {
    local pid=$1 what=$2
    [[ -d /proc/$pid ]] || return 0
    log "stopping $what (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true   # harmless if already signalled
    for _ in $(seq 1 300); do [[ -d /proc/$pid ]] || return 0; sleep 0.1; done
    log "$what (pid $pid) ignored SIGTERM for 30s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do [[ -d /proc/$pid ]] || return 0; sleep 0.25; done
}

# Pids of processes whose command line mentions this ship's exec-root (its containerd
# and containerd shims). Used only as a fallback after dockerd itself has stopped.
owned_pids() {
    local run=$1 p pid cmd
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
        [[ $cmd == *"$run/"* && $cmd != *lab.sh* ]] && echo "$pid"
    done
    return 0
}

# Fallback for a daemon that died uncleanly: kill whatever is still running in the
# cgroups of this ship's containers (ids read from its own data-root) and remove the
# cgroup directories dockerd would have removed.
reap_container_cgroups() {
    local data=$1 id d pid
    [[ -d $data/data/containers ]] || return 0
    for id in "$data"/data/containers/*; do
        id=${id##*/}
        [[ $id =~ ^[0-9a-f]{64}$ ]] || continue
        for d in /sys/fs/cgroup/*/docker/"$id" /sys/fs/cgroup/docker/"$id"; do
            [[ -d $d ]] || continue
            while read -r pid; do
                [[ -n $pid ]] || continue
                log "killing leftover container process $pid (container ${id:0:12})"
                kill -KILL "$pid" 2>/dev/null || true
            done < <(cat "$d/cgroup.procs" 2>/dev/null || true)
            for _ in 1 2 3 4 5 6 7 8; do rmdir "$d" 2>/dev/null && break; sleep 0.25; done
        done
    done
}

# Unmount anything still mounted below a directory (deepest first).
umount_below() {
    local dir=$1 m
    while read -r m; do
        [[ -z $m ]] && continue
        log "unmounting leftover $m"
        umount -l "$m" 2>/dev/null || true
    done < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

# rm -rf DIR, or only its contents when DIR is a mount point.
clear_dir() {
    [[ -e $1 ]] || return 0
    if mountpoint -q "$1"; then find "$1" -mindepth 1 -delete; else rm -rf "$1"; fi
}

known_ships() {
    # Union of everything that may be left of a ship: dirs, netns, host veths.
    {
        local d
        for d in "$LAB_ROOT"/"$SHIP_PREFIX"[0-9]* "$LAB_RUN"/"$SHIP_PREFIX"[0-9]* /var/run/netns/"$SHIP_PREFIX"[0-9]*; do
            [[ -e $d ]] && basename "$d" | sed "s/^${SHIP_PREFIX}//"
        done
        ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' \
            | grep -E "^${VETH_PREFIX}[0-9]+$" | sed "s/^${VETH_PREFIX}//" || true
    } | grep -E '^[0-9]+$' | sort -n -u
}

remove_containers() {
    local k=$1 ids
    api_up "$k" || return 0
    ids=$(ship_docker "$k" ps -aq 2>/dev/null || true)
    if [[ -n $ids ]]; then
        log "$(ship_name "$k"): removing $(wc -w <<<"$ids") container(s)"
        # shellcheck disable=SC2086
        ship_docker "$k" rm -f -v $ids >/dev/null 2>&1 || true
    fi
}

# Phase 1 for a ship: remove its containers (quick daemon shutdown, no shims left behind)
# and send SIGTERM to its dockerd.
down_ship_signal() {
    local k=$1 pid
    pid=$(ship_pid "$k")
    [[ -n $pid ]] || return 0
    remove_containers "$k"
    log "$(ship_name "$k"): SIGTERM dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
}

# Phase 2: wait for the daemon, make sure its containerd and shims are gone, unmount
# leftovers, delete the netns (which destroys the veth pair) and the ship's dirs.
down_ship_finish() {
    local k=$1 ns run data pid cpid p
    ns=$(ship_name "$k"); run=$(ship_run "$k"); data=$(ship_data "$k")
    pid=$(ship_pid "$k")
    [[ -n $pid ]] && stop_pid "$pid" "$ns dockerd"
    cpid=$(ship_containerd_pid "$k")
    [[ -n $cpid ]] && stop_pid "$cpid" "$ns containerd"
    for p in $(owned_pids "$run"); do stop_pid "$p" "$ns leftover process"; done
    reap_container_cgroups "$data"
    if [[ -d $run ]]; then umount_below "$run"; fi
    if [[ -d $data ]]; then umount_below "$data"; fi
    if [[ -e /var/run/netns/$ns ]]; then log "$ns: removing netns"; ip netns del "$ns" || true; fi
    if ip link show "${VETH_PREFIX}${k}" >/dev/null 2>&1; then ip link del "${VETH_PREFIX}${k}" || true; fi
    rm -rf "$run" "$data"
}

# ------------------------------------------------------------------------- commands
cmd_main_daemon() {
    require_root; take_lock
    ensure_main_daemon
    log "main dockerd answers on $LAB_MAIN_DOCKER"
}

cmd_image() {
    require_root; require_tools; take_lock
    ensure_main_daemon
    build_images "$([[ ${1:-} == --force ]] && echo 1 || echo 0)"
    main_docker image ls "$LAB_IMAGE"
}

cmd_up() {
    local arg=${1:-} first=1 n
    # "up N" is ships 1..N; "up A-B" only ships A..B (parallel test runs use their own range).
    if [[ $arg =~ ^([0-9]+)-([0-9]+)$ ]]; then
        first=${BASH_REMATCH[1]}; n=${BASH_REMATCH[2]}
    else
        n=$arg
    fi
    if ! [[ $n =~ ^[0-9]+$ ]] || (( first < 1 || n < first || n > MAX_SHIPS )); then
        die "usage: lab.sh up N | up A-B   (1 <= A <= B <= $MAX_SHIPS)"
    fi
    require_root; require_tools; check_subnet; take_lock
    mkdir -p "$LAB_ROOT" "$LAB_RUN"
    local k tar ships; ships=$(seq "$first" "$n")
    # Everything that can boot in the background does: the main dockerd (if needed) and
    # every ship dockerd start at once.
    start_main_daemon
    ensure_bridge
    for k in $ships; do
        ensure_ship_net "$k"
        start_ship_daemon "$k"
    done
    wait_main_daemon
    ensure_iptables               # after the main dockerd: it creates DOCKER-USER
    build_images
    tar=$(image_tar)
    for_ships_parallel wait_and_load "$ships" "$tar" || die "some ships did not come up (see above)"
    local extra; extra=$(known_ships | awk -v n="$n" '$1 > n' | tr '\n' ' ')
    [[ -n $extra ]] && log "note: ships beyond $n also exist (numbers: $extra); 'down' removes them"
    for k in $ships; do ship_line "$k"; done
}

cmd_down() {
    require_root; take_lock
    local k ships; ships=$(known_ships)
    for_ships_parallel down_ship_signal "$ships" || true
    for_ships_parallel down_ship_finish "$ships" || true
    remove_iptables
    if ip link show "$BRIDGE" >/dev/null 2>&1; then log "removing bridge $BRIDGE"; ip link del "$BRIDGE"; fi
    clear_dir "$LAB_ROOT"; clear_dir "$LAB_RUN"
    log "lab is down"
}

# Stop ship K's dockerd and its containerd (both by pidfile), if running.
stop_ship_daemon() {
    local k=$1 pid cpid
    pid=$(ship_pid "$k")
    if [[ -z $pid ]]; then
        log "$(ship_name "$k"): dockerd is not running"
    else
        stop_pid "$pid" "$(ship_name "$k") dockerd"
    fi
    # dockerd stops its containerd on the way out; wait for that too (or finish it).
    cpid=$(ship_containerd_pid "$k")
    [[ -n $cpid ]] && stop_pid "$cpid" "$(ship_name "$k") containerd"
    return 0
}

# Remove ship K and only it: its containers, daemons, netns, veth and folders.
cmd_down_ship() {
    local k=${1:-}
    valid_k "$k"; require_root; take_lock
    down_ship_signal "$k"
    down_ship_finish "$k"
    log "$(ship_name "$k"): removed"
}

cmd_stop_ship() {
    local k=${1:-}
    valid_k "$k"; require_root; take_lock
    stop_ship_daemon "$k"
    if api_up "$k"; then die "$(ship_name "$k"): API still answers after stop"; fi
    log "$(ship_name "$k"): stopped ($(ship_url "$k") refuses connections)"
}

# Ship K's network and daemon up, the test images loaded, its line printed.
bring_up_ship() {
    local k=$1 tar
    ensure_bridge
    ensure_ship_net "$k"
    start_ship_daemon "$k"
    ensure_main_daemon
    ensure_iptables
    build_images
    tar=$(image_tar)
    wait_and_load "$k" "$tar"
    ship_line "$k"
}

cmd_start_ship() {
    local k=${1:-}
    valid_k "$k"; require_root; require_tools; check_subnet; take_lock
    mkdir -p "$LAB_ROOT" "$LAB_RUN"
    bring_up_ship "$k"
}

# True when ship K's running dockerd serves what its data dir asks for: TLS (with
# these certificates, copied at its start) or plain TCP.
daemon_mode_matches() {
    local k=$1 pid cmd
    pid=$(ship_pid "$k")
    [[ -n $pid ]] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    if ship_is_tls "$k"; then [[ $cmd == *" --tlscacert $(ship_tls_dir "$k")/ca.pem "* ]]
    else [[ $cmd != *" --tlsverify "* ]]; fi
}

cmd_tls_ship() {
    local k=${1:-} dir=${2:-} tls f changed=0
    valid_k "$k"
    [[ -n $dir ]] || die "usage: lab.sh tls-ship K DIR|off"
    if [[ $dir != off ]]; then
        for f in ca.pem server-cert.pem server-key.pem; do
            [[ -r $dir/$f ]] || die "tls-ship: $dir/$f not found (need ca.pem, server-cert.pem, server-key.pem)"
        done
    fi
    require_root; require_tools; check_subnet; take_lock
    mkdir -p "$LAB_ROOT" "$LAB_RUN" "$(ship_data "$k")"
    tls=$(ship_tls_dir "$k")
    if [[ $dir == off ]]; then
        ship_is_tls "$k" && changed=1
    else
        for f in ca.pem server-cert.pem server-key.pem; do
            cmp -s "$dir/$f" "$tls/$f" || changed=1
        done
    fi
    if (( changed )) || { [[ -n $(ship_pid "$k") ]] && ! daemon_mode_matches "$k"; }; then
        stop_ship_daemon "$k"
        rm -rf "$tls"
        if [[ $dir != off ]]; then
            mkdir -p "$tls"
            cp "$dir/ca.pem" "$dir/server-cert.pem" "$dir/server-key.pem" "$tls/"
            chmod 600 "$tls/server-key.pem"
        fi
        log "$(ship_name "$k"): $([[ $dir == off ]] && echo "plain TCP on port $LAB_PORT" || echo "TLS on port $LAB_TLS_PORT")"
    fi
    bring_up_ship "$k"
}

cmd_status() {
    local k pid api ver ctr img any=0
    if main_api_up; then echo "main dockerd: up ($LAB_MAIN_DOCKER)"; else echo "main dockerd: down ($LAB_MAIN_DOCKER)"; fi
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
        echo "bridge $BRIDGE: $(ip -4 -o addr show dev "$BRIDGE" | awk '{print $4}') $(cat /sys/class/net/$BRIDGE/operstate)"
    else
        echo "bridge $BRIDGE: absent"
    fi
    if iptables -w -C "$(fwd_chain)" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; then
        echo "iptables: $(fwd_chain) -i $BRIDGE -o $BRIDGE ACCEPT present"
    else
        echo "iptables: forwarding rule absent"
    fi
    printf '%-8s %-8s %-24s %-6s %-16s %-12s %s\n' SHIP PID URL API VERSION CONTAINERS IMAGES
    for k in $(known_ships); do
        any=1
        pid=$(ship_pid "$k"); api=down; ver=-; ctr=-; img=-
        if api_up "$k"; then
            api=up
            ver=$(ship_docker "$k" version --format '{{.Server.Version}}' 2>/dev/null || echo '?')
            ctr="$(ship_docker "$k" ps -q | wc -l)/$(ship_docker "$k" ps -aq | wc -l)"
            img=$(ship_docker "$k" image ls --format '{{.Repository}}:{{.Tag}}' "$LAB_IMAGE" | sort | tr '\n' ' ')
        fi
        printf '%-8s %-8s %-24s %-6s %-16s %-12s %s\n' "$(ship_name "$k")" "${pid:--}" "$(ship_url "$k")" "$api" "$ver" "$ctr" "${img:-none}"
    done
    (( any )) || echo "(no ships)"
}

# Remove every container on every running ship (a tool-agnostic "clean slate").
cmd_reset() {
    for_ships_parallel remove_containers "$(known_ships)" || true
}

cmd_urls() {
    local k
    for k in $(known_ships); do
        api_up "$k" && ship_line "$k"
    done
    return 0
}

case "${1:-}" in
    up)          shift; cmd_up "$@" ;;
    down)        cmd_down ;;
    status)      cmd_status ;;
    urls)        cmd_urls ;;
    reset)       cmd_reset ;;
    stop-ship)   shift; cmd_stop_ship "$@" ;;
    down-ship)   shift; cmd_down_ship "$@" ;;
    start-ship)  shift; cmd_start_ship "$@" ;;
    tls-ship)    shift; cmd_tls_ship "$@" ;;
    main-daemon) cmd_main_daemon ;;
    image)       shift; cmd_image "$@" ;;
    -h|--help|help|"") sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$1' (up N | down | status | urls | reset | stop-ship K | start-ship K | down-ship K | tls-ship K DIR|off | main-daemon | image)" ;;
esac
