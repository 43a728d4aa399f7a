#!/usr/bin/env bash
# Make sure the Debian packages rumpbridge needs are installed.
# As root: installs what is missing with apt-get.  Otherwise: prints the
# exact commands to run and exits 1.
#
# The aarch64 suite (cmake/aarch64-linux-gnu.cmake, run under qemu-user)
# needs cmocka built for arm64, which comes from Debian multiarch: the
# arm64 architecture is added to dpkg first.  libxml2-dev (comp: the system
# description) and libseccomp-dev (comp: the PD processes' seccomp filter)
# are needed for both.
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config libcmocka-dev spin
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
      qemu-system-arm ipxe-qemu libxml2-dev libseccomp-dev)
# qemu-system-arm (qemu-system-aarch64) boots the Microkit images of the
# `microkit` tests; ipxe-qemu has the ROMs its virt machine looks for.
# clang: the header check (tests/headers) compiles the public headers
# with clang and clang++ as well as gcc and g++.
PKGS+=(clang)
# python3-matplotlib: the plots of scripts/run-benchmarks and of
# tools/rumpbridge-trace (both run Debian's /usr/bin/python3).
PKGS+=(python3-matplotlib)
# liblwip-dev: lwIP, the network component's default TCP/IP stack (src/net).
PKGS+=(liblwip-dev)

# Multiarch packages for the aarch64 suite (on an arm64 host they are the
# native ones).
native=$(dpkg --print-architecture)
add_arch=
if [ "$native" = arm64 ]; then
	PKGS+=(libcmocka-dev libxml2-dev libseccomp-dev)
else
	PKGS+=(libcmocka-dev:arm64 libxml2-dev:arm64 libseccomp-dev:arm64)
	dpkg --print-foreign-architectures | grep -qx arm64 || add_arch=1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ -z "$add_arch" ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
[ -n "$add_arch" ] && cmd="dpkg --add-architecture arm64 && $cmd"
if [ "$(id -u)" -ne 0 ]; then
	echo "rumpbridge: missing Debian packages: ${missing[*]}" >&2
	[ -n "$add_arch" ] && echo "rumpbridge: and dpkg does not know the arm64 architecture yet" >&2
	echo "rumpbridge: install them as root with:" >&2
	echo "  $cmd" >&2
	exit 1
fi
if [ -n "$add_arch" ]; then
	echo "rumpbridge: dpkg --add-architecture arm64" >&2
	dpkg --add-architecture arm64
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "rumpbridge: installing ${missing[*]}" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
