#!/bin/sh
# check-all.sh: the whole test suite, as CI runs it (make check-all).
#
#   1. make check in this build (configured with --enable-werror);
#   2. the same suite again in a fresh build from the distribution tree
#      under AddressSanitizer and UndefinedBehaviorSanitizer, -Werror;
#   3. make distcheck: the tarball builds, passes its tests, installs and
#      uninstalls cleanly.
#
# Run from the build directory; DISTDIR and VIGIL_SHARED come from make.
set -eu

jobs=${JOBS:-2}
# A failing test's log is printed (automake prints test-suite.log when
# VERBOSE is set): CI keeps only what was printed.
VERBOSE=${VERBOSE:-1}
export VERBOSE
builddir=$(pwd)
: "${DISTDIR:?run me through make check-all}"
: "${VIGIL_SHARED:?run me through make check-all}"

step() {
	printf '\n==== %s\n\n' "$*"
}

step "1/3 make check"
make -j"$jobs" check

step "2/3 make check under AddressSanitizer + UndefinedBehaviorSanitizer"
make distdir >/dev/null
san="$builddir/build-sanitize"
rm -rf "$san"
mkdir -p "$san"
(
	cd "$san"
	"$builddir/$DISTDIR/configure" -q --enable-werror --disable-hardening \
	    --with-shared="$VIGIL_SHARED" \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -j"$jobs" check
)
rm -rf "$san" "$builddir/$DISTDIR"

step "3/3 make distcheck"
make -j"$jobs" distcheck

step "check-all: everything passed"
