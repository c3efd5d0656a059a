#!/bin/sh
# demo.sh: run the real vigild on a private socket and database and query
# it with the real vigilctl (make demo).
#
# The feeds, inventory, rules and alerts are being built issue by issue;
# this demo grows with them.  Today it shows the daemon coming up under a
# service-manager-like start, answering status and metrics, reloading, and
# stopping cleanly.
set -eu

builddir=$(pwd)
dir=$(mktemp -d /tmp/vigil-demo.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

cat > "$dir/vigild.yaml" <<EOT
database: $dir/vigil.db
socket: $dir/vigild.sock
rules: []
log_level: info
EOT

say "vigild -n: check the configuration"
"$builddir/vigild" -n -c "$dir/vigild.yaml"

say "start vigild"
"$builddir/vigild" -c "$dir/vigild.yaml" &
pid=$!

# Wait for the control socket to answer (a deadline, not a sleep).
tries=0
until "$builddir/vigilctl" -s "$dir/vigild.sock" status >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: vigild did not come up" >&2
		exit 1
	fi
	sleep 0.1
done

say "vigilctl status"
"$builddir/vigilctl" -s "$dir/vigild.sock" status

say "vigilctl metrics (vigil's own)"
"$builddir/vigilctl" -s "$dir/vigild.sock" metrics | grep '^vigil_' | head -n 12

say "vigilctl reload"
"$builddir/vigilctl" -s "$dir/vigild.sock" reload

say "stop vigild (SIGTERM)"
kill -TERM "$pid"
wait "$pid"
echo "vigild exited with status $?"
pid=""
