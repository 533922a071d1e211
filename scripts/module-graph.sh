#!/usr/bin/env bash
# Prints the module graph as the imports draw it: one line per module, "Module -> what it imports"
# (project modules only). docs/architecture.md quotes this output; re-run it after changing imports.
# Exits 1 when a command line reaches past its one module (ttactl: Wire, ttad: Daemon): SwiftPM
# lets a target import its dependencies' dependencies, so Package.swift alone cannot refuse that.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=$(ls Sources)
declare -A graph
for m in $modules; do
  uses=$( { grep -rhoE '^(@testable |@preconcurrency )?import [A-Za-z_]+' "Sources/$m" 2>/dev/null || true; } \
    | awk '{print $NF}' | sort -u | while read -r u; do
        # A here-string, not `echo | grep -q`: grep -q may exit before echo has written, and
        # pipefail then made a module vanish from the graph now and then.
        if [ "$u" != "$m" ] && grep -qx "$u" <<< "$modules"; then echo "$u"; fi
      done | paste -sd' ' -)
  graph[$m]=${uses:--}
  printf '%-16s -> %s\n' "$m" "${uses:--}"
done
status=0
for pair in ttactl:Wire ttad:Daemon; do
  if [ "${graph[${pair%%:*}]}" != "${pair#*:}" ]; then
    echo "${pair%%:*} must import only ${pair#*:} of the project's modules, imports: ${graph[${pair%%:*}]}" >&2
    status=1
  fi
done
exit $status
