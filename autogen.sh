#!/bin/sh
# autogen.sh: install what vigil needs to build and test (Debian 12), then
# generate the configure script.
#
# Run as root, it installs the missing packages listed in debian-packages.txt
# with apt-get; as another user it uses sudo when that exists, and otherwise
# names what is missing and stops.
set -eu
cd "$(dirname "$0")"

missing=""
for pkg in $(grep -v '^#' debian-packages.txt); do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done

if [ -n "$missing" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "autogen.sh: not a Debian system; install the equivalents of:$missing" >&2
		exit 1
	fi
	if [ "$(id -u)" -eq 0 ]; then
		as=""
	elif command -v sudo >/dev/null 2>&1; then
		as="sudo"
	else
		echo "autogen.sh: missing packages:$missing" >&2
		echo "autogen.sh: run me as root, or install them with apt-get" >&2
		exit 1
	fi
	echo "autogen.sh: installing:$missing"
	$as env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$as env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing
fi

autoreconf --install --force
echo "autogen.sh: now run ./configure"
