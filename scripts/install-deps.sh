#!/usr/bin/env bash
# Installs the Debian packages APG-C builds and runs with. Idempotent: does nothing
# when every package is already installed.
set -euo pipefail
# clang, libclang-rt-dev and libomp-dev: `make fuzz` (libFuzzer) only. openmpi-bin and
# libopenmpi-dev: `mpirun -np N ./apg ...` (sharded grids, data-parallel training) and
# its tests; apg builds and runs without them as one process.
PKGS=(build-essential pkg-config libblis-dev libcsv-dev libsqlite3-dev libcmocka-dev gnuplot-nox sqlite3
      clang libclang-rt-dev libomp-dev openmpi-bin libopenmpi-dev)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all dependencies present (${PKGS[*]})"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "install-deps: need root to install packages. Run as root, or:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
