#!/bin/bash
# The proof in a real systemd: boots Debian 12 in a systemd-nspawn container (systemd 252 as its
# PID 1), installs the ttad .deb there and checks what a user of the service relies on: READY=1,
# the socket's group permissions, ttactl, structured journald fields, `systemctl reload`, a bridge
# controller next to ttad (ttad-controller@reacher2 in /run/ttad-bridge, a task on bridge-example),
# the watchdog restarting a frozen daemon, history surviving the restart, a clean stop,
# `systemd-analyze verify` and the `systemd-analyze security` exposure score, and /metrics through
# ttad-metrics.socket scraped by a real Prometheus server (Debian's prometheus, in the root file
# system) and linted by its promtool.
#
# usage: sudo scripts/systemd-test.sh   (root, Debian 12 host; measured with built binaries: ~70 s with
#        the cached root file system, 1.5-3 min without it; a clean release build adds several minutes)
# environment:
#   TTAD_DEB=path            test this .deb instead of building one with scripts/build-deb.sh
#   TTAD_BIN_DIR=dir         build the .deb from prebuilt ttad and ttactl in dir
#   TTAD_SYSTEMD_TEST_DIR    work folder (default .build-systemd/, git-ignored); holds the cached
#                            root file system tarball, rootfs-bookworm-<hash>.tar.zst
#   TTAD_SECURITY_MAX=2.0    highest acceptable `systemd-analyze security` exposure score
#   TTAD_KEEP_ROOTFS=1       leave the container's root file system (.build-systemd/rootfs.PID) afterwards
#   TTAD_DEBIAN_MIRROR=url   use this mirror instead of the one in the host's apt configuration
# It installs systemd-container, debootstrap and zstd on the host with apt-get if they are missing,
# takes the Debian mirror from the host's apt configuration, and always powers the container off.
# The last line is `systemd-test: N passed, M failed`; the exit status is non-zero on any failure.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${TTAD_SYSTEMD_TEST_DIR:-$REPO/.build-systemd}
SUITE=bookworm
ROOTFS=$WORK/rootfs.$$
MACHINE=ttad-test-$$
SECURITY_MAX=${TTAD_SECURITY_MAX:-2.0}
# The container shares the host's network: ports of this run's own, so two runs do not collide.
METRICS_PORT=$(( 20000 + $$ % 20000 ))
PROM_PORT=$(( METRICS_PORT + 1 ))
# Bump when the way the root file system is made changes, so old caches are not reused.
ROOTFS_RECIPE=1
PATH_IN=/usr/sbin:/usr/bin:/sbin:/bin
T0=$(date +%s)
NSPAWN_PID=
LEADER=
CACHE=
PASSED=0
FAILED=0

elapsed() { echo $(( $(date +%s) - T0 )); }
log() { echo "systemd-test [$(elapsed)s] $*"; }
pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
finish() {
    echo "systemd-test: total $(elapsed)s"
    echo "systemd-test: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
    exit $?
}
abort() { fail "$*"; finish; }

# Powers off the container we booted (and only it), whatever happened.
cleanup() {
    local rc=$?
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        log "powering off the container (nspawn pid $NSPAWN_PID)"
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        for _ in $(seq 1 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            log "container did not power off in 15 s: SIGKILL to nspawn pid $NSPAWN_PID"
            kill -KILL "$NSPAWN_PID" 2>/dev/null
        fi
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    if [ -z "${TTAD_KEEP_ROOTFS:-}" ] && [ -d "$ROOTFS" ] && ! { [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; }; then
        rm -rf --one-file-system "$ROOTFS"
    fi
    rm -rf --one-file-system "$WORK/rootfs.new.$$"
    [ -n "$CACHE" ] && rm -f "$CACHE.tmp.$$"
    exit $rc
}
trap cleanup EXIT
trap 'echo "systemd-test: interrupted"; exit 130' INT TERM

# Runs a command inside the container (bounded by ${T:-60} seconds).
inside() { timeout "${T:-60}" nsenter -t "$LEADER" -a -- env -i PATH=$PATH_IN LANG=C.UTF-8 "$@"; }
# Runs a command inside the container as USER with USER's groups (from /etc/group).
run_as() { local user=$1; shift; inside setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- "$@"; }
# Polls `"$@"` every half second until it succeeds or SECONDS pass. Returns its last status.
wait_for() {
    local seconds=$1; shift
    local deadline=$(( $(date +%s) + seconds ))
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.5
    done
}
show() { inside systemctl show ttad.service -p "$1" --value; }
apt_host() {
    timeout 900 apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends "$@"
}

[ "$(id -u)" -eq 0 ] || { echo "systemd-test: needs root (systemd-nspawn, debootstrap)"; exit 2; }
mkdir -p "$WORK"

# --- 1. Host tools -----------------------------------------------------------------------------
log "host packages: systemd-container debootstrap zstd"
missing=()
for p in systemd-container debootstrap zstd; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_host install "${missing[@]}" || { apt_host update && apt_host install "${missing[@]}"; } \
        || abort "cannot install ${missing[*]} on the host"
fi
command -v pgrep >/dev/null || { apt_host install procps || abort "cannot install procps"; }
for tool in systemd-nspawn debootstrap zstd nsenter setsid timeout pgrep; do
    command -v "$tool" >/dev/null || abort "$tool is missing on the host"
done

# --- 2. The package under test -----------------------------------------------------------------
if [ -n "${TTAD_DEB:-}" ]; then
    DEB=$TTAD_DEB
else
    log "building the .deb (scripts/build-deb.sh)"
    DEB=$(timeout 3600 "$REPO/scripts/build-deb.sh" | tail -1) || abort "scripts/build-deb.sh failed"
fi
[ -f "$DEB" ] || abort "no .deb at '$DEB'"
log "package: $DEB"

# --- 3. Root file system: cached tarball, or debootstrap once ----------------------------------
mirror() {
    local uri=
    if [ -n "${TTAD_DEBIAN_MIRROR:-}" ]; then echo "$TTAD_DEBIAN_MIRROR"; return; fi
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(sed -n 's/\[[^]]*\]//; s/^deb[[:space:]]\+\([^[:space:]]\+\).*/\1/p' /etc/apt/sources.list \
            | grep -v security | head -1)
    fi
    echo "$uri"
}
# Runtime libraries come straight from the package's Depends (first alternative of each), so the
# cached root file system already has them and apt needs no network to install the .deb.
depends=$(dpkg-deb -f "$DEB" Depends)
# Debian's prometheus (server and promtool) scrapes ttad through its socket unit in section 12b.
include=systemd,systemd-sysv,dbus,prometheus
IFS=',' read -r -a deps <<< "$depends"
for d in "${deps[@]}"; do
    name=$(echo "$d" | sed 's/|.*//; s/(.*)//' | tr -d '[:space:]')
    [ -n "$name" ] && include="$include,$name"
done
include=$include,systemd-journal-remote   # shipped logs: scripts/systemd-test-journal-upload.sh
key=$(echo "$SUITE $ROOTFS_RECIPE $include" | sha256sum | cut -c1-12)
CACHE=$WORK/rootfs-$SUITE-$key.tar.zst

rm -rf --one-file-system "$ROOTFS" "$WORK/rootfs.new.$$"
if [ -f "$CACHE" ]; then
    log "root file system from cache $(basename "$CACHE")"
    mkdir -p "$ROOTFS"
    timeout 300 tar --zstd --numeric-owner -xpf "$CACHE" -C "$ROOTFS" || abort "cannot unpack $CACHE"
else
    MIRROR=$(mirror)
    [ -n "$MIRROR" ] || abort "no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
    log "debootstrap $SUITE (minbase + $include) from the host's mirror $MIRROR"
    timeout 900 debootstrap --variant=minbase --include="$include" "$SUITE" "$WORK/rootfs.new.$$" "$MIRROR" \
        > "$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; abort "debootstrap failed (log: $WORK/debootstrap.log)"; }
    systemctl --root="$WORK/rootfs.new.$$" mask console-getty.service apt-daily.timer \
        apt-daily-upgrade.timer e2scrub_all.timer >/dev/null 2>&1
    rm -f "$WORK/rootfs.new.$$"/var/cache/apt/archives/*.deb
    timeout 300 tar --zstd --numeric-owner -cpf "$CACHE.tmp.$$" -C "$WORK/rootfs.new.$$" . \
        && mv "$CACHE.tmp.$$" "$CACHE" || abort "cannot write $CACHE"
    mv "$WORK/rootfs.new.$$" "$ROOTFS"
    log "cached the root file system as $(basename "$CACHE") ($(du -h "$CACHE" | cut -f1))"
fi
install -m644 "$DEB" "$ROOTFS/root/ttad.deb"
# Prometheus starts at boot: on this run's port, on loopback, scraping ttad every second.
echo "ARGS=\"--web.listen-address=127.0.0.1:$PROM_PORT --storage.tsdb.retention.time=1h\"" > "$ROOTFS/etc/default/prometheus"
cat > "$ROOTFS/etc/prometheus/prometheus.yml" <<PROMETHEUS
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ttad
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
PROMETHEUS

# --- 4. Boot -----------------------------------------------------------------------------------
log "booting $MACHINE"
setsid systemd-nspawn -D "$ROOTFS" -M "$MACHINE" --boot --register=no --keep-unit \
    --link-journal=no --console=read-only </dev/null >"$WORK/nspawn.log" 2>&1 &
NSPAWN_PID=$!
leader() { LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd | head -1); [ -n "$LEADER" ]; }
wait_for 30 leader || { tail -20 "$WORK/nspawn.log"; abort "the container's systemd did not start"; }
wait_for 30 inside test -S /run/systemd/private || abort "the container's systemd bus did not appear"
state=$(T=90 inside systemctl is-system-running --wait)
log "container is up: $state (leader pid $LEADER on the host)"
case $state in running|degraded) ;; *) abort "container did not boot: $state" ;; esac

# --- 5. Install --------------------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
apt_in() { T=600 inside env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q "$@"; }
log "apt-get install ./ttad.deb inside the container"
if ! apt_in install /root/ttad.deb > "$WORK/apt-install.log" 2>&1; then
    log "install needs the network for dependencies: apt-get update"
    apt_in update >> "$WORK/apt-install.log" 2>&1
    apt_in install /root/ttad.deb >> "$WORK/apt-install.log" 2>&1 || { tail -20 "$WORK/apt-install.log"; }
fi
check "the .deb installs with apt (Depends satisfied) and creates the ttad user and group" \
    inside sh -c 'dpkg-query -W -f="\${Status}" ttad | grep -qx "install ok installed" && getent passwd ttad >/dev/null && getent group ttad >/dev/null'
check "installing does not start or enable the daemon" \
    inside sh -c '! systemctl is-active -q ttad && ! systemctl is-enabled -q ttad 2>/dev/null'
inside useradd --no-create-home --groups ttad operator1 && inside useradd --no-create-home outsider1 \
    || abort "cannot add the test users"

# --- 6. Start: READY=1, socket permissions, ttactl -----------------------------------------------
log "systemctl enable --now ttad"
start_out=$(T=60 inside systemctl enable --now ttad.service 2>&1); start_rc=$?
[ -n "$start_out" ] && echo "$start_out" | sed 's/^/  /'
active_ready() { [ "$(show ActiveState)" = active ] && [ "$(show SubState)" = running ]; }
if [ $start_rc -eq 0 ] && wait_for 30 active_ready; then
    pass "systemctl enable --now ttad: active once the daemon sent READY=1 (Type=notify)"
else
    fail "ttad did not become active"
    T=10 inside systemctl status --no-pager ttad.service
    T=10 inside journalctl -b -u ttad.service --no-pager | tail -30
    finish
fi
PID1=$(show MainPID)
RESTARTS1=$(show NRestarts)
log "ttad runs as pid $PID1 (inside the container), NRestarts=$RESTARTS1"

perms=$(inside stat -c '%a %U:%G' /run/ttad /run/ttad/ttad.sock | tr '\n' ' ')
echo "  /run/ttad and ttad.sock: $perms"
check "/run/ttad is 0750 and ttad.sock 0660, both ttad:ttad" [ "$perms" = "750 ttad:ttad 660 ttad:ttad " ]

ping_as() { run_as "$1" /usr/bin/ttactl ping --timeout "${2:-5}"; }
out=$(ping_as operator1 2>&1); rc=$?
echo "  operator1 (group ttad)\$ ttactl ping -> $out"
check "ttactl ping answers a member of the ttad group" [ $rc -eq 0 ]
out=$(run_as operator1 /usr/bin/ttactl status 2>&1); rc=$?
echo "$out" | sed 's/^/  operator1$ ttactl status | /'
check "ttactl status answers with health ok" [ $rc -eq 0 -a -n "$(echo "$out" | grep 'health: *ok')" ]
out=$(ping_as outsider1 2 2>&1); rc=$?
echo "  outsider1 (not in ttad)\$ ttactl ping -> exit $rc: $out"
can_see=no; run_as outsider1 test -e /run/ttad/ttad.sock 2>/dev/null && can_see=yes
check "a user outside the ttad group is refused (cannot reach /run/ttad/ttad.sock, ttactl exits 77 naming group ttad)" \
    [ $rc -eq 77 -a $can_see = no -a -n "$(echo "$out" | grep 'permission denied.*group ttad')" ]

if inside test -S /run/ttad/events.sock; then
    ev=$(inside stat -c '%A %U:%G' /run/ttad/events.sock)
    echo "  /run/ttad/events.sock: $ev"
    check "the event socket is readable and writable by the ttad group" [ "${ev:4:2}" = rw ]
fi

# --- 7. Structured journald fields ---------------------------------------------------------------
journal() { T=30 inside journalctl -b --no-pager -o json "$@"; }
ready_json=$(journal -u ttad.service TTAD_EVENT=ready _PID="$PID1")
echo "$ready_json" | head -1 | grep -o '"\(MESSAGE\|PRIORITY\|TTAD_[A-Z_]*\|_SYSTEMD_UNIT\|SYSLOG_IDENTIFIER\)":"[^"]*"' \
    | tr '\n' ' ' | sed 's/^/  journal: /; s/$/\n/'
check "journalctl -u ttad -o json has the ready entry with TTAD_EVENT=ready" \
    grep -q '"TTAD_EVENT":"ready"' <<< "$ready_json"
# The unit hides /proc/cpuinfo (ProcSubset=pid); the kernel choice reads CPUID instead.
blas_core=$(journal -u ttad.service _PID="$PID1" | grep -o '"TTAD_BLAS_CORE":"[^"]*"' | head -1 | cut -d'"' -f4)
echo "  journal: OpenBLAS kernel under the unit: ${blas_core:-?}"
if grep -qw avx2 /proc/cpuinfo; then
    check "on this AVX2 CPU the daemon runs a vector OpenBLAS kernel, not the generic fallback" \
        bash -c '[ -n "$1" ] && [ "$1" != Prescott ]' _ "$blas_core"
else
    check "the daemon logs its OpenBLAS kernel" [ -n "$blas_core" ]
fi

# --- 7b. systemctl reload: ExecReload= sends SIGHUP, the daemon re-reads its robot-configs --------
reload_out=$(T=30 inside systemctl reload ttad.service 2>&1); reload_rc=$?
[ -n "$reload_out" ] && echo "$reload_out" | sed 's/^/  systemctl reload: /'
reloaded() { journal -u ttad.service TTAD_EVENT=reloaded _PID="$PID1" | grep -q '"TTAD_EVENT":"reloaded"'; }
wait_for 15 reloaded; reloaded_rc=$?
echo "  after systemctl reload: exit $reload_rc, MainPID $(show MainPID) (was $PID1)"
check "systemctl reload ttad succeeds and the same daemon logs TTAD_EVENT=reloaded" \
    [ $reload_rc -eq 0 -a $reloaded_rc -eq 0 -a "$(show MainPID)" = "$PID1" ]

# --- 8. A task, when this build of ttactl has `submit` -------------------------------------------
help=$(inside /usr/bin/ttactl --help 2>&1)
has_command() { grep -qE "^[[:space:]]+$1([[:space:]]|$)" <<< "$help"; }
TASK_ID=
if has_command submit; then
    log "ttactl submit --task reach --attempts 4"
    out=$(T=300 run_as operator1 /usr/bin/ttactl submit --task reach --attempts 4 2>&1); rc=$?
    echo "$out" | tail -5 | sed 's/^/  operator1$ ttactl submit | /'
    check "ttactl submit --task reach --attempts 4 is accepted" [ $rc -eq 0 ]
    attempts() { journal -u ttad.service TTAD_EVENT=attempt_finished; }
    four_attempts() { [ "$(attempts | grep -c '"TTAD_EVENT":"attempt_finished"')" -ge 4 ]; }
    wait_for 240 four_attempts
    att=$(attempts)
    head -4 <<< "$att" | while IFS= read -r entry; do
        echo "  journal: $(grep -o '"TTAD_[A-Z_]*":"[^"]*"' <<< "$entry" | paste -sd' ')"
    done
    fields_ok=1
    for f in TTAD_TASK_ID TTAD_ATTEMPT TTAD_TEMPERATURE TTAD_STEPS TTAD_SUCCESS TTAD_REWARD; do
        n=$(grep -c "\"$f\":\"" <<< "$att")
        [ "$n" -ge 4 ] || { echo "  $f in $n of the attempt_finished entries"; fields_ok=0; }
    done
    check "4 attempt_finished journal entries with TTAD_TASK_ID, TTAD_ATTEMPT, TTAD_TEMPERATURE, TTAD_STEPS, TTAD_SUCCESS, TTAD_REWARD" \
        [ "$(grep -c '"TTAD_EVENT":"attempt_finished"' <<< "$att")" -ge 4 -a $fields_ok -eq 1 ]
    TASK_ID=$(grep -o '"TTAD_TASK_ID":"[^"]*"' <<< "$att" | head -1 | cut -d'"' -f4)
else
    log "SKIP: this ttactl has no submit command (no task, attempt fields or history to check yet)"
fi

# --- 8b. A controller next to ttad: ttad-controller@reacher2 serves /run/ttad-bridge/reacher2.sock ---
# ttad.service has PrivateTmp=yes, so a controller socket under /tmp is invisible to it;
# /run/ttad-bridge is made by the controller's unit (RuntimeDirectory=), group ttad, and the
# shipped robots/bridge-example.yaml points there.
CTL=ttad-controller@reacher2.service
ctl_show() { inside systemctl show "$CTL" -p "$1" --value; }
log "systemctl enable --now $CTL"
ctl_out=$(T=60 inside systemctl enable --now "$CTL" 2>&1); ctl_rc=$?
[ -n "$ctl_out" ] && echo "$ctl_out" | sed 's/^/  /'
ctl_up() { [ "$(ctl_show ActiveState)" = active ] && inside test -S /run/ttad-bridge/reacher2.sock; }
if [ $ctl_rc -eq 0 ] && wait_for 30 ctl_up; then
    pass "systemctl enable --now $CTL: active, its socket is /run/ttad-bridge/reacher2.sock"
    bperms=$(inside stat -c '%a %U:%G' /run/ttad-bridge /run/ttad-bridge/reacher2.sock | tr '\n' ' ')
    echo "  /run/ttad-bridge and reacher2.sock: $bperms"
    check "/run/ttad-bridge is 0750 and reacher2.sock 0770, both ttad-bridge:ttad (set by the unit)" \
        [ "$bperms" = "750 ttad-bridge:ttad 770 ttad-bridge:ttad " ]
    cpid=$(ctl_show MainPID)
    cids=$(inside sh -c "sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p; s/^Gid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$cpid/status" | tr '\n' ' ')
    want="$(inside id -u ttad-bridge) $(inside getent group ttad | cut -d: -f3) "
    echo "  controller pid $cpid: uid gid $cids(ttad-bridge ttad: $want)"
    check "the controller runs as ttad-bridge with group ttad, not as root" [ "$cids" = "$want" ]
    can_see=no; run_as outsider1 test -e /run/ttad-bridge/reacher2.sock 2>/dev/null && can_see=yes
    check "a user outside the ttad group cannot reach /run/ttad-bridge/reacher2.sock" [ $can_see = no ]
    if has_command submit; then
        log "ttactl submit --robot bridge-example --task reach --attempts 2 --no-adapt"
        out=$(T=300 run_as operator1 /usr/bin/ttactl submit --robot bridge-example --task reach --attempts 2 --no-adapt --json 2>&1); rc=$?
        grep -E '"(state|robot|steps|success|abort_reason)"' <<< "$out" | sed 's/^ */  bridge task: /'
        check "a task on bridge-example runs through the controller: done, 2 attempts, none aborted" \
            [ $rc -eq 0 -a "$(grep -c '"steps"' <<< "$out")" -eq 2 -a -z "$(grep abort_reason <<< "$out")" \
              -a -n "$(grep '"state" *: *"done"' <<< "$out")" -a -n "$(grep '"robot" *: *"bridge-example"' <<< "$out")" ]
    fi
else
    fail "$CTL did not become active with its socket"
    T=10 inside systemctl status --no-pager "$CTL"
    T=10 inside journalctl -b -u "$CTL" --no-pager | tail -20
fi

. "$REPO/scripts/systemd-test-journal-upload.sh"   # 8c. shipped logs: journal-upload to journal-remote, TTAD_* intact

# --- 9. The watchdog: a live daemon keeps it fed; a frozen one is killed and restarted ----------
WATCHDOG=$(show WatchdogUSec)
wd_seconds=$(sed -n 's/^\([0-9]*\)s$/\1/p' <<< "$WATCHDOG")
[ -n "$wd_seconds" ] || wd_seconds=10
fed_since=$(show WatchdogTimestampMonotonic)
log "ttad must stay up past WatchdogSec=$WATCHDOG while it sends WATCHDOG=1 (waiting $((wd_seconds + 2)) s)"
sleep $((wd_seconds + 2))
fed_now=$(show WatchdogTimestampMonotonic)
check "a live daemon keeps the watchdog fed: same MainPID and NRestarts after $((wd_seconds + 2)) s, WATCHDOG=1 seen" \
    [ "$(show MainPID)" = "$PID1" -a "$(show NRestarts)" = "$RESTARTS1" -a "$fed_now" != "$fed_since" -a "$fed_now" != 0 ]
log "SIGSTOP to ttad (pid $PID1); WatchdogSec=$WATCHDOG"
T_STOP=$(date +%s)
inside sh -c "kill -STOP $PID1"
restarted() {
    local pid n
    pid=$(show MainPID); n=$(show NRestarts)
    [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$PID1" ] && [ "${n:-0}" -gt "$RESTARTS1" ] && active_ready
}
if wait_for 60 restarted; then
    PID2=$(show MainPID)
    log "restarted after $(( $(date +%s) - T_STOP ))s: pid $PID1 -> $PID2, NRestarts $RESTARTS1 -> $(show NRestarts)"
    T=10 inside journalctl -b --no-pager -u ttad.service -o cat --since "-2min" | grep -iE 'watchdog|abort|schedul' | sed 's/^/  journal: /'
    wd_logged=$(T=10 inside journalctl -b --no-pager -u ttad.service -o cat | grep -c 'Watchdog timeout')
    check "watchdog: systemd killed the frozen daemon and restarted it (new MainPID, NRestarts+1, active)" \
        [ "$wd_logged" -ge 1 ]
    check "the restarted daemon answers ttactl ping" wait_for 15 ping_as operator1 2
else
    fail "the frozen daemon was not restarted within 60 s (WatchdogSec=$WATCHDOG)"
    T=10 inside systemctl status --no-pager ttad.service
    inside sh -c "kill -CONT $PID1" 2>/dev/null
    PID2=$(show MainPID)
fi

# --- 10. History survives the restart (when this build has `history`) ----------------------------
if has_command history && [ -n "$TASK_ID" ]; then
    out=$(run_as operator1 /usr/bin/ttactl history --json 2>&1); rc=$?
    listed=no; grep -qF "$TASK_ID" <<< "$out" && listed=yes
    echo "$out" | head -20 | sed 's/^/  operator1$ ttactl history --json | /'
    check "ttactl history --json still lists task $TASK_ID after the restart" [ $rc -eq 0 -a $listed = yes ]
    # The restarted daemon runs its last good checkpoint (a verified file), never a half-judged candidate.
    st=$(run_as operator1 /usr/bin/ttactl status --json 2>&1)
    live=$(sed -n 's/.*"checkpoint" *: *"\([^"]*\)".*/\1/p' <<< "$st" | head -1)
    good=$(sed -n 's/.*"last_good_checkpoint" *: *"\([^"]*\)".*/\1/p' <<< "$st" | head -1)
    echo "  after the restart: live checkpoint $live, last good $good"
    check "the restarted daemon came back on its last good checkpoint" [ -n "$live" -a "$live" = "$good" ]
else
    log "SKIP: history check (needs ttactl history and a submitted task)"
fi

# --- 11. Clean stop ------------------------------------------------------------------------------
log "systemctl stop ttad"
T=40 inside systemctl stop ttad.service; stop_rc=$?
result=$(inside systemctl show ttad.service -p ActiveState -p Result -p ExecMainCode -p ExecMainStatus | sort | tr '\n' ' ')
echo "  after stop: $result"
stopping=$(journal -u ttad.service TTAD_EVENT=stopping _PID="$PID2" | grep -c '"TTAD_EVENT":"stopping"')
check "systemctl stop: the daemon exits 0 (Result=success) and logs TTAD_EVENT=stopping" \
    [ $stop_rc -eq 0 -a "$result" = "ActiveState=inactive ExecMainCode=1 ExecMainStatus=0 Result=success " -a "$stopping" -ge 1 ]
check "the runtime directory and socket are gone after stop" inside test ! -e /run/ttad/ttad.sock

# A bad config exits 78 (EX_CONFIG), and RestartPreventExitStatus=78 keeps systemd from looping.
scheduled() { T=10 inside journalctl -b --no-pager -u ttad.service -o cat | grep -c 'Scheduled restart job'; }
restarts_before=$(scheduled)
inside cp /etc/ttad/ttad.yaml /etc/ttad/ttad.yaml.good
inside sh -c 'echo "no_such_key: 1" >> /etc/ttad/ttad.yaml'
T=40 inside systemctl start ttad.service 2>/dev/null
sleep 3
bad=$(inside systemctl show ttad.service -p ActiveState -p ExecMainStatus | sort | tr '\n' ' ')
bad="${bad}restarts=$(( $(scheduled) - restarts_before ))"
echo "  with a bad ttad.yaml: $bad"
T=10 inside journalctl -b --no-pager -u ttad.service -o cat -n 4 | sed 's/^/  journal: /'
check "a bad ttad.yaml: ttad exits 78 and systemd does not restart it" \
    [ "$bad" = "ActiveState=failed ExecMainStatus=78 restarts=0" ]
inside mv /etc/ttad/ttad.yaml.good /etc/ttad/ttad.yaml
inside systemctl reset-failed ttad.service

# --- 12. systemd-analyze -------------------------------------------------------------------------
verify=$(T=60 inside systemd-analyze verify /lib/systemd/system/ttad.service 2>&1)
[ -n "$verify" ] && echo "$verify" | sed 's/^/  verify: /'
check "systemd-analyze verify reports nothing about ttad.service" \
    [ -z "$(grep -i 'ttad' <<< "$verify")" ]
# A template is verified as an instance: the same file under the instance's name.
inside cp /lib/systemd/system/ttad-controller@.service "/root/$CTL"
cverify=$(T=60 inside systemd-analyze verify "/root/$CTL" 2>&1)
[ -n "$cverify" ] && echo "$cverify" | sed 's/^/  verify: /'
check "systemd-analyze verify reports nothing about ttad-controller@.service" \
    [ -z "$(grep -i 'ttad' <<< "$cverify")" ]
csc=$(T=60 inside systemd-analyze security --no-pager "$CTL" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: *//p')
echo "systemd-test: $CTL exposure $csc"
security=$(T=60 inside systemd-analyze security --no-pager ttad.service 2>&1)
echo "$security" | grep -E '^✗|^\s*✗' | sed 's/^/  security: /'
score_line=$(grep -i 'Overall exposure level' <<< "$security")
score=$(sed -n 's/.*ttad.service: *\([0-9.]*\).*/\1/p' <<< "$score_line")
echo "systemd-test: $score_line"
check "systemd-analyze security ttad.service: exposure ${score:-?} <= $SECURITY_MAX" \
    awk -v s="${score:-99}" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }'

# --- 12b. Prometheus metrics through the socket unit (PrivateNetwork=yes stays) -----------------
was_active=$(show ActiveState)
inside cp /etc/ttad/ttad.yaml /etc/ttad/ttad.yaml.nometrics
inside sh -c 'printf "metrics:\n  enabled: true\n" >> /etc/ttad/ttad.yaml'
mkdir -p "$ROOTFS/etc/systemd/system/ttad-metrics.socket.d"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$METRICS_PORT" \
    > "$ROOTFS/etc/systemd/system/ttad-metrics.socket.d/port.conf"
inside systemctl daemon-reload
sverify=$(T=60 inside systemd-analyze verify /lib/systemd/system/ttad-metrics.socket 2>&1)
[ -n "$sverify" ] && echo "$sverify" | sed 's/^/  verify: /'
check "systemd-analyze verify reports nothing about ttad-metrics.socket" [ -z "$(grep -i 'ttad' <<< "$sverify")" ]
T=30 inside systemctl start ttad-metrics.socket
T=60 inside systemctl restart ttad.service
wait_for 30 active_ready
served=$(journal -u ttad.service TTAD_EVENT=metrics_serving _PID="$(show MainPID)")
echo "$served" | grep -o '"MESSAGE":"[^"]*"' | head -1 | sed 's/^/  journal: /'
check "with metrics.enabled, ttad serves /metrics on the socket systemd passed (ttad-metrics.socket)" \
    grep -q 'socket from systemd' <<< "$served"
# One scrape by hand (bash's /dev/tcp: the minimal root file system has no curl), linted by promtool.
scraped=$(inside bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT && printf 'GET /metrics HTTP/1.1\r\nHost: ttad\r\n\r\n' >&3 && timeout 10 cat <&3")
echo "$scraped" | head -1 | sed 's/^/  GET \/metrics: /'
echo "$scraped" | tr -d '\r' | sed '1,/^$/d' > "$ROOTFS/root/metrics.txt"
lint=$(inside sh -c 'promtool check metrics < /root/metrics.txt' 2>&1); lint_rc=$?
[ -n "$lint" ] && echo "$lint" | sed 's/^/  promtool: /'
check "promtool check metrics passes on what ttad serves ($(grep -c '^ttad_' "$ROOTFS/root/metrics.txt") ttad_ samples)" \
    [ $lint_rc -eq 0 -a "$(grep -c '^ttad_' "$ROOTFS/root/metrics.txt")" -gt 0 ]
prom_query() { T=20 inside promtool query instant "http://127.0.0.1:$PROM_PORT" "$1" 2>&1; }
target_up() { prom_query 'up{job="ttad"}' | grep -q '=> 1 @'; }
wait_for 90 target_up
echo "  prometheus: $(prom_query 'up{job="ttad"}')"
check "a real Prometheus server scrapes ttad through the socket unit: target up" target_up
series=$(prom_query 'ttad_tasks_total{kind="training",state="done"}')
echo "  prometheus: $series"
check "a ttad_ series arrives in Prometheus (HTTP query API)" grep -q 'ttad_tasks_total{' <<< "$series"
sc_metrics=$(T=60 inside systemd-analyze security --no-pager ttad.service 2>&1 | sed -n 's/.*Overall exposure level for ttad.service: *\([0-9.]*\).*/\1/p')
check "systemd-analyze security ttad.service with the metrics socket: exposure ${sc_metrics:-?} = ${score:-?} (unchanged)" \
    [ -n "$sc_metrics" -a "$sc_metrics" = "${score:-}" ]
T=30 inside systemctl stop ttad-metrics.socket
inside mv /etc/ttad/ttad.yaml.nometrics /etc/ttad/ttad.yaml
rm -rf "$ROOTFS/etc/systemd/system/ttad-metrics.socket.d"
inside systemctl daemon-reload
# Leave the daemon as section 12 found it (section 13 starts it with each drop-in).
if [ "$was_active" = active ]; then T=60 inside systemctl restart ttad.service; wait_for 30 active_ready
else T=60 inside systemctl stop ttad.service; fi
T=30 inside systemctl stop prometheus.service

# --- 13. The documented drop-ins ---------------------------------------------------------------
inside mkdir -p /etc/systemd/system/ttad.service.d
for example in device-access tcp; do
    cp "$REPO/systemd/ttad-$example.conf.example" "$ROOTFS/etc/systemd/system/ttad.service.d/$example.conf"
    inside systemctl daemon-reload
    v=$(T=60 inside systemd-analyze verify /lib/systemd/system/ttad.service 2>&1)
    [ -n "$v" ] && echo "$v" | sed "s/^/  verify with $example.conf: /"
    sc=$(T=60 inside systemd-analyze security --no-pager ttad.service 2>&1 | sed -n 's/.*Overall exposure level for ttad.service: *//p')
    echo "systemd-test: with ttad-$example.conf.example: exposure $sc"
    ok=no
    if [ $example = device-access ]; then
        # The daemon must still start and answer with the device drop-in (no serial port here).
        T=40 inside systemctl start ttad.service && wait_for 15 ping_as operator1 2 >/dev/null && ok=yes
        groups=$(inside sh -c 'grep ^Groups: /proc/$(systemctl show ttad -p MainPID --value)/status')
        echo "  ttad's $groups (dialout is $(inside getent group dialout | cut -d: -f3))"
        T=40 inside systemctl stop ttad.service
    else
        ok=yes
    fi
    what="drop-in ttad-$example.conf.example: systemd-analyze verify is clean"
    [ $example = device-access ] && what="$what, ttad starts with it and answers"
    check "$what" \
        [ -z "$(grep -i ttad <<< "$v")" -a $ok = yes ]
    rm -f "$ROOTFS/etc/systemd/system/ttad.service.d/$example.conf"
done
inside systemctl daemon-reload

# --- 14. Upgrade (reinstall) and purge -----------------------------------------------------------
T=40 inside systemctl start ttad.service
pid_before=$(show MainPID)
inside sh -c 'echo "# local edit" >> /etc/ttad/ttad.yaml'
T=300 inside env DEBIAN_FRONTEND=noninteractive dpkg -i /root/ttad.deb > "$WORK/reinstall.log" 2>&1
reinstall_rc=$?
wait_for 20 active_ready
pid_after=$(show MainPID)
kept=no; inside grep -q '^# local edit' /etc/ttad/ttad.yaml && kept=yes
echo "  reinstall: dpkg exit $reinstall_rc, pid $pid_before -> $pid_after, local edit of ttad.yaml kept: $kept"
check "upgrading the package restarts a running daemon and keeps the edited ttad.yaml (conffile)" \
    [ $reinstall_rc -eq 0 -a "$pid_after" != "$pid_before" -a "$pid_after" != 0 -a $kept = yes ]
T=300 inside env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ttad > "$WORK/purge.log" 2>&1
purge_rc=$?
left=$(inside sh -c 'for f in /usr/bin/ttad /usr/bin/ttactl /usr/bin/ttad-controller /lib/systemd/system/ttad.service /lib/systemd/system/ttad-controller@.service /etc/ttad/ttad.yaml /var/lib/ttad /run/ttad /etc/systemd/system/multi-user.target.wants/ttad.service /etc/systemd/system/multi-user.target.wants/ttad-controller@reacher2.service; do [ -e "$f" ] && echo "$f"; done')
echo "  purge: apt-get exit $purge_rc; left behind: ${left:-nothing}"
still=no; inside systemctl is-active -q ttad.service "$CTL" && still=yes
check "apt-get purge stops the daemon and its controller, removes their files, state and enablement" \
    [ $purge_rc -eq 0 -a -z "$left" -a $still = no ]

finish
