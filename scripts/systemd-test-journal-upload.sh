#!/bin/bash
# Shipped logs, in the real-systemd test: journald's own shipping (systemd-journal-upload) sends
# the container's journal to a systemd-journal-remote listening on loopback (the central host's
# part, in the same container), and the TTAD_* structured fields of ttad's entries must arrive
# intact. docs/fleet.md shows the same set-up between two hosts, over HTTPS.
#
# Sourced by scripts/systemd-test.sh while ttad runs and after its task (section 8): it uses that
# script's `inside`, `journal`, `wait_for`, `check`, `pass`, `fail`, `log` and $ROOTFS. The root
# file system has the systemd-journal-remote package (it is in the debootstrap --include list).
# The test's sink speaks plain HTTP on 127.0.0.1 only; a real one uses HTTPS with certificates.

journal_upload_test() {
    # The container shares the host's network: a port of this run's own (not journal-remote's
    # usual 19532), so two runs, or a sink on the host, do not collide.
    local port=$(( 40000 + $$ % 20000 )) remote=/var/log/journal/remote
    if ! inside test -x /lib/systemd/systemd-journal-upload -a -x /lib/systemd/systemd-journal-remote; then
        fail "shipped logs: systemd-journal-remote is not installed in the container (the root file system's --include)"
        return
    fi
    log "shipped logs: systemd-journal-upload -> systemd-journal-remote on 127.0.0.1:$port"
    # The sink: the packaged socket unit on loopback only, the packaged service over plain HTTP.
    mkdir -p "$ROOTFS/etc/systemd/system/systemd-journal-remote.socket.d" \
             "$ROOTFS/etc/systemd/system/systemd-journal-remote.service.d" \
             "$ROOTFS/etc/systemd/journal-upload.conf.d"
    printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$port" \
        > "$ROOTFS/etc/systemd/system/systemd-journal-remote.socket.d/loopback.conf"
    printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-journal-remote --listen-http=-3 --output=%s/\n' "$remote" \
        > "$ROOTFS/etc/systemd/system/systemd-journal-remote.service.d/http.conf"
    # The shipper: the packaged unit, pointed at the sink.
    printf '[Upload]\nURL=http://127.0.0.1:%s\n' "$port" > "$ROOTFS/etc/systemd/journal-upload.conf.d/central.conf"
    # The sink runs as the package's systemd-journal-remote user (its sysusers.d entry; again
    # here in case the root file system's build did not run it).
    inside systemd-sysusers >/dev/null 2>&1
    inside systemctl daemon-reload
    local out rc
    out=$(T=60 inside systemctl start systemd-journal-remote.socket 2>&1) \
        && out=$(T=60 inside systemctl start systemd-journal-upload.service 2>&1); rc=$?
    [ -n "$out" ] && echo "$out" | sed 's/^/  journal shipping: /'
    check "systemd-journal-remote.socket listens on 127.0.0.1:$port and systemd-journal-upload.service runs" \
        [ $rc -eq 0 -a "$(inside systemctl is-active systemd-journal-upload.service)" = active ]

    # One line per entry: its TTAD_* fields (and where it came from), sorted, as journalctl -o json
    # prints them (a value with a quote or a backslash keeps its escapes, so it must match as well).
    fields() {
        local entry
        while IFS= read -r entry; do
            grep -o '"\(TTAD_[A-Z0-9_]*\|MESSAGE\|PRIORITY\|_SYSTEMD_UNIT\|_BOOT_ID\|_PID\)":"\([^"\\]\|\\.\)*"' <<< "$entry" \
                | sort | paste -sd' '
        done | sort
    }
    local sent received missing
    sent=$( { journal -u ttad.service TTAD_EVENT=ready; journal -u ttad.service TTAD_EVENT=attempt_finished; } | fields)
    received_all() {
        received=$( { T=30 inside journalctl -D "$remote" --no-pager -o json _SYSTEMD_UNIT=ttad.service TTAD_EVENT=ready
                      T=30 inside journalctl -D "$remote" --no-pager -o json _SYSTEMD_UNIT=ttad.service TTAD_EVENT=attempt_finished
                    } 2>/dev/null | fields)
        missing=$(comm -23 <(echo "$sent") <(echo "$received"))
        [ -n "$received" ] && [ -z "$missing" ]
    }
    wait_for 60 received_all
    echo "  journal shipping: files received: $(inside sh -c "ls $remote" 2>&1 | paste -sd' ')"
    head -2 <<< "$received" | sed 's/^/  received: /'
    [ -n "$missing" ] && head -5 <<< "$missing" | sed 's/^/  not received intact: /'
    check "ttad's ready and $(grep -c TTAD_ATTEMPT <<< "$sent") attempt_finished entries arrive at journal-remote with every TTAD_* field intact" \
        [ -n "$sent" -a "$(grep -c TTAD_ATTEMPT <<< "$sent")" -ge 4 -a -n "$received" -a -z "$missing" ]
    T=30 inside systemctl stop systemd-journal-upload.service systemd-journal-remote.socket systemd-journal-remote.service
}

journal_upload_test
