#!/bin/bash
# Builds ttad_<version>_<arch>.deb: /usr/bin/ttad, /usr/bin/ttactl, /usr/bin/ttad-controller (the
# reference bridge controller, when built), the systemd units (ttad.service, ttad-controller@.service),
# sysusers.d and (if present) tmpfiles.d entries, /etc/ttad/ttad.yaml and /etc/ttad/robots/**
# as conffiles, and maintainer scripts that create the ttad user but never start the daemon.
#
# usage: scripts/build-deb.sh [--bin-dir DIR] [--out DIR] [--version V]
#        scripts/build-deb.sh --print-depends
#   --bin-dir DIR   take prebuilt ttad, ttactl and (if there) ttad-controller from DIR (env
#                   TTAD_BIN_DIR) instead of running swift build -c release --static-swift-stdlib
#   --out DIR       where the .deb goes (default .build-deb/, git-ignored)
#   --version V     package version (default: what `ttad --version` prints)
#   --print-depends print the Depends field and exit (scripts/systemd-test.sh uses it)
# environment: TTAD_BIN_DIR, TTAD_VERSION, DEB_MAINTAINER, TTAD_DEB_XZ_LEVEL (xz level, default 1:
#   fast; 6 makes the package ~13% smaller and takes ~5x longer)
# Prints the path of the .deb as its last line.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${TTAD_BIN_DIR:-}
OUT=$REPO/.build-deb
VERSION=${TTAD_VERSION:-}
MAINTAINER=${DEB_MAINTAINER:-"ttad maintainers <ttad@localhost>"}

# Runtime libraries of the static-stdlib binaries (checked against `readelf -d` below: the build
# fails if a binary needs a library whose package is not listed here). libopenblas.so.0 comes
# from whichever OpenBLAS flavour the libopenblas.so.0 alternative points at.
DEPENDS_BASE=(
    "libzmq5"
    "libsystemd0"
    "libopenblas0-pthread | libopenblas0"
    "libmujoco2.2.2"
    "libsqlite3-0"
    "libstdc++6"
    "libgcc-s1"
)

die() { echo "build-deb: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) BIN_DIR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --version) VERSION=$2; shift 2 ;;
        --print-depends) (IFS=,; echo "${DEPENDS_BASE[*]}" | sed 's/,/, /g'); exit 0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

for tool in dpkg-deb strip readelf objdump; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg binutils)"
done

LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)

# 1. The binaries.
if [ -z "$BIN_DIR" ]; then
    echo "build-deb: swift build -c release --static-swift-stdlib (ttad, ttactl, ttad-controller)" >&2
    (cd "$REPO" && swift build -c release --static-swift-stdlib --product ttad >&2 \
        && swift build -c release --static-swift-stdlib --product ttactl >&2 \
        && swift build -c release --static-swift-stdlib --product ttad-controller >&2)
    BIN_DIR=$(cd "$REPO" && swift build -c release --static-swift-stdlib --show-bin-path)
fi
for b in ttad ttactl; do [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing"; done
# ttad-controller@.service runs the reference controller; without it the unit needs a drop-in
# with the user's own ExecStart= (docs/install.md), so a bin dir without it still packages.
BINARIES=(ttad ttactl)
if [ -x "$BIN_DIR/ttad-controller" ]; then
    BINARIES+=(ttad-controller)
else
    echo "build-deb: warning: no $BIN_DIR/ttad-controller; ttad-controller@.service will need a drop-in" >&2
fi

ARCH=$(dpkg --print-architecture)
if [ -z "$VERSION" ]; then
    VERSION=$("$BIN_DIR/ttad" --version 2>/dev/null | tail -1 | tr -d '[:space:]') || true
    [ -n "$VERSION" ] || die "cannot read the version from ttad --version; pass --version"
fi
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "not a Debian version: $VERSION"

# 2. Stage the package tree.
mkdir -p "$OUT"
STAGE=$(mktemp -d "$OUT/stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"
install -d -m755 "$STAGE/DEBIAN" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" \
    "$STAGE/usr/lib/sysusers.d" "$STAGE/etc/ttad/robots" "$STAGE/usr/share/doc/ttad"
for b in "${BINARIES[@]}"; do
    install -m755 "$BIN_DIR/$b" "$STAGE/usr/bin/$b"
    strip --strip-unneeded "$STAGE/usr/bin/$b"
done
install -m644 "$REPO/systemd/ttad.service" "$STAGE/lib/systemd/system/ttad.service"
install -m644 "$REPO/systemd/ttad-controller@.service" "$STAGE/lib/systemd/system/ttad-controller@.service"
install -m644 "$REPO/systemd/ttad-metrics.socket" "$STAGE/lib/systemd/system/ttad-metrics.socket"
install -m644 "$REPO/systemd/ttad.sysusers" "$STAGE/usr/lib/sysusers.d/ttad.conf"
if [ -f "$REPO/systemd/ttad.tmpfiles" ]; then
    install -d -m755 "$STAGE/usr/lib/tmpfiles.d"
    install -m644 "$REPO/systemd/ttad.tmpfiles" "$STAGE/usr/lib/tmpfiles.d/ttad.conf"
fi
install -m644 "$REPO/systemd/ttad.yaml" "$STAGE/etc/ttad/ttad.yaml"
# Robot configs and their models, if the repository has any (an empty folder installs nothing).
if [ -d "$REPO/robot-configs" ]; then
    (cd "$REPO/robot-configs" && find . -type f ! -name '.*' -print0) | while IFS= read -r -d '' f; do
        install -D -m644 "$REPO/robot-configs/$f" "$STAGE/etc/ttad/robots/${f#./}"
    done
fi
for doc in docs/install.md docs/ttactl.md docs/metrics.md docs/grafana-dashboard.json systemd/ttad-device-access.conf.example systemd/ttad-tcp.conf.example; do
    [ -f "$REPO/$doc" ] && install -m644 "$REPO/$doc" "$STAGE/usr/share/doc/ttad/"
done

# 3. Depends: every shared library the binaries need must come from a listed package.
depends_text=$(IFS=,; echo "${DEPENDS_BASE[*]}" | sed 's/,/, /g')
for b in "${BINARIES[@]}"; do
    for soname in $(readelf -d "$STAGE/usr/bin/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        path=$("$LDCONFIG" -p | awk -v s="$soname" '$1 == s && /x86-64|x86_64/ && !found { print $NF; found = 1 }')
        [ -n "$path" ] || die "$b needs $soname, which is not installed here"
        real=$(readlink -f "$path")
        pkg=$(dpkg -S "$real" 2>/dev/null | sed -n '1s/:.*//p') || true
        [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/:.*//p') || true
        [ -n "$pkg" ] || pkg=$(dpkg -S "${real#/usr}" 2>/dev/null | sed -n '1s/:.*//p') || true
        case $pkg in libc6) continue ;; esac
        [[ ", $depends_text, " == *[\ \|]"$pkg"[,\ ]* ]] \
            || die "$b needs $soname from package '${pkg:-?}', which is not in Depends: add it to DEPENDS_BASE"
    done
done
# libc6: at least the newest GLIBC_x.y symbol version the binaries use.
glibc=$(cd "$STAGE/usr/bin" && objdump -T "${BINARIES[@]}" | grep -o 'GLIBC_[0-9.]*' \
    | sed 's/GLIBC_//' | sort -V | tail -1)
depends_text="libc6 (>= $glibc), $depends_text"

# 4. Control files and maintainer scripts.
installed_kb=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<EOF
Package: ttad
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $installed_kb
Depends: $depends_text
Recommends: systemd
Section: misc
Priority: optional
Description: on-robot test-time adaptation daemon
 ttad adapts a robot policy while the robot works: for each task it runs N
 attempts at different temperatures, scores them, and updates the policy with a
 watchdog that rolls back bad updates. ttactl sends tasks over a ZeroMQ ipc
 socket (/run/ttad/ttad.sock, group ttad). The service is installed but not
 started: systemctl enable --now ttad.
EOF
(cd "$STAGE" && find etc -type f | sort | sed 's|^|/|') > "$STAGE/DEBIAN/conffiles"

tmpfiles_cmd=':'
[ -f "$STAGE/usr/lib/tmpfiles.d/ttad.conf" ] && tmpfiles_cmd='systemd-tmpfiles --create ttad.conf || true'
cat > "$STAGE/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
    # The ttad user and group (usr/lib/sysusers.d/ttad.conf).
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers ttad.conf
    elif ! getent passwd ttad >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/ttad --no-create-home \\
            --shell /usr/sbin/nologin --comment "ttad test-time adaptation daemon" ttad
    fi
    if ! command -v systemd-sysusers >/dev/null 2>&1 && ! getent passwd ttad-bridge >/dev/null; then
        useradd --system --gid ttad --home-dir / --no-create-home \\
            --shell /usr/sbin/nologin --comment "ttad bridge controller" ttad-bridge
    fi
    if command -v systemd-tmpfiles >/dev/null 2>&1; then $tmpfiles_cmd; fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        # An upgrade restarts a daemon that was running; a first install starts nothing.
        if [ -n "\$2" ]; then systemctl try-restart ttad.service || true; fi
    fi
fi
exit 0
EOF
cat > "$STAGE/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop ttad.service 'ttad-controller@*.service' || true
fi
exit 0
EOF
cat > "$STAGE/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
case "$1" in
    remove)
        if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
        ;;
    purge)
        # Disable (remove the enablement symlinks) and forget the state; the ttad user stays,
        # as Debian keeps system users so that files they own never get a recycled uid.
        rm -f /etc/systemd/system/multi-user.target.wants/ttad.service \
            /etc/systemd/system/multi-user.target.wants/ttad-controller@*.service
        rm -rf /var/lib/ttad
        if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
        ;;
esac
exit 0
EOF
chmod 755 "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/prerm" "$STAGE/DEBIAN/postrm"

DEB=$OUT/ttad_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz -z"${TTAD_DEB_XZ_LEVEL:-1}" --build "$STAGE" "$DEB" >&2
echo "build-deb: Depends: $depends_text" >&2
echo "$DEB"
