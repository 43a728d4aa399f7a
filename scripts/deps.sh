#!/usr/bin/env bash
# Make sure the Debian packages rumpbridge needs are installed.
# As root: installs what is missing with apt-get.  Otherwise: prints the
# exact command to run and exits 1.
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config libcmocka-dev spin
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "rumpbridge: missing Debian packages: ${missing[*]}" >&2
	echo "rumpbridge: install them as root with:" >&2
	echo "  $cmd" >&2
	exit 1
fi
echo "rumpbridge: installing ${missing[*]}" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
