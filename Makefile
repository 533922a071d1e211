# ttad: build, install and package. See docs/install.md.
#
#   make build                 debug build of everything (swift build)
#   make release               ttad, ttactl and ttad-controller, release, Swift stdlib linked statically
#   make install PREFIX=/usr/local DESTDIR=   binaries, systemd unit, sysusers.d, config
#   make uninstall PREFIX=/usr/local DESTDIR= removes what install put in place (not /etc/ttad)
#   make deb                   .build-deb/ttad_<version>_<arch>.deb (scripts/build-deb.sh)
#   make systemd-test          the .deb in a real systemd (root; scripts/systemd-test.sh)
#   make wheel                 .build/wheels/ttad-<version>-py3-none-any.whl (the Python package in python/)

SWIFT ?= swift
RELEASE_FLAGS := -c release --static-swift-stdlib
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
# systemd reads units, sysusers.d and tmpfiles.d from /usr/local/lib/... as well as /usr/lib/...
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR ?= $(PREFIX)/share/doc/ttad
# The unit reads /etc/ttad/ttad.yaml whatever the prefix.
CONFDIR ?= /etc/ttad

.PHONY: all build release install uninstall deb systemd-test wheel

all: build

build:
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE_FLAGS) --product ttad
	$(SWIFT) build $(RELEASE_FLAGS) --product ttactl
	$(SWIFT) build $(RELEASE_FLAGS) --product ttad-controller

RELEASE_BIN = $(shell $(SWIFT) build $(RELEASE_FLAGS) --show-bin-path 2>/dev/null)

# Binaries and unit are replaced; ttad.yaml and robot configs are installed only where no file
# exists yet, so local edits survive a reinstall.
install:
	@test -x "$(RELEASE_BIN)/ttad" -a -x "$(RELEASE_BIN)/ttactl" || { echo "run 'make release' first"; exit 1; }
	install -d -m755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR)/robots
	install -m755 $(RELEASE_BIN)/ttad $(RELEASE_BIN)/ttactl $(DESTDIR)$(BINDIR)/
	strip --strip-unneeded $(DESTDIR)$(BINDIR)/ttad $(DESTDIR)$(BINDIR)/ttactl
	sed -e 's|/usr/bin/ttad|$(BINDIR)/ttad|g' -e 's|/usr/share/doc/ttad|$(DOCDIR)|g' \
		systemd/ttad.service > $(DESTDIR)$(UNITDIR)/ttad.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ttad.service
	sed -e 's|/usr/share/doc/ttad|$(DOCDIR)|g' systemd/ttad-metrics.socket > $(DESTDIR)$(UNITDIR)/ttad-metrics.socket
	chmod 644 $(DESTDIR)$(UNITDIR)/ttad-metrics.socket
	if [ -x "$(RELEASE_BIN)/ttad-controller" ]; then install -m755 $(RELEASE_BIN)/ttad-controller $(DESTDIR)$(BINDIR)/; fi
	sed -e 's|/usr/bin/ttad-controller|$(BINDIR)/ttad-controller|g' -e 's|/usr/share/doc/ttad|$(DOCDIR)|g' \
		'systemd/ttad-controller@.service' > '$(DESTDIR)$(UNITDIR)/ttad-controller@.service'
	chmod 644 '$(DESTDIR)$(UNITDIR)/ttad-controller@.service'
	install -m644 systemd/ttad.sysusers $(DESTDIR)$(SYSUSERSDIR)/ttad.conf
	if [ -f systemd/ttad.tmpfiles ]; then install -D -m644 systemd/ttad.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ttad.conf; fi
	test -e $(DESTDIR)$(CONFDIR)/ttad.yaml || install -m644 systemd/ttad.yaml $(DESTDIR)$(CONFDIR)/ttad.yaml
	if [ -d robot-configs ]; then cd robot-configs && find . -type f ! -name '.*' | while read -r f; do \
		test -e "$(DESTDIR)$(CONFDIR)/robots/$$f" || install -D -m644 "$$f" "$(DESTDIR)$(CONFDIR)/robots/$$f"; done; fi
	install -m644 docs/install.md docs/ttactl.md docs/metrics.md docs/grafana-dashboard.json systemd/ttad-device-access.conf.example systemd/ttad-tcp.conf.example $(DESTDIR)$(DOCDIR)/
	@echo "installed. Next (as root): systemd-sysusers ttad.conf && systemctl daemon-reload && systemctl enable --now ttad"

uninstall:
	-systemctl disable --now ttad.service ttad-metrics.socket 2>/dev/null
	rm -f $(DESTDIR)$(BINDIR)/ttad $(DESTDIR)$(BINDIR)/ttactl $(DESTDIR)$(UNITDIR)/ttad.service $(DESTDIR)$(UNITDIR)/ttad-metrics.socket \
		$(DESTDIR)$(BINDIR)/ttad-controller '$(DESTDIR)$(UNITDIR)/ttad-controller@.service' \
		$(DESTDIR)$(SYSUSERSDIR)/ttad.conf $(DESTDIR)$(TMPFILESDIR)/ttad.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(CONFDIR), /var/lib/ttad and the ttad user"

deb:
	scripts/build-deb.sh

systemd-test:
	scripts/systemd-test.sh

# The Python package (client, bridge SDK, policy import) as a wheel; `pip install ./python` does the same.
wheel:
	python3 -m pip wheel --no-deps --no-build-isolation -w .build/wheels ./python
