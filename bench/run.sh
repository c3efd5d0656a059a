#!/bin/sh
# bench/run.sh: run the benchmark programs named on the command line.
#
# Each program prints a table to stdout and writes its figures as JSON to
# $VIGIL_BENCH_DIR/<name>.json.  A program that exits 77 had nothing to
# measure (no corpus, say): it is reported as skipped, not failed.

: "${VIGIL_BENCH_DIR:=bench/results}"
export VIGIL_BENCH_DIR
mkdir -p "$VIGIL_BENCH_DIR" || exit 1

status=0
for prog in "$@"; do
	name=$(basename "$prog" .py)
	echo "== $name"
	case $prog in
	*.py)	"${MOTO_PYTHON:-python3}" "$prog" ;;
	*)	"$prog" ;;
	esac
	rc=$?
	case $rc in
	0)	echo "== $name: $VIGIL_BENCH_DIR/${name#bench-}.json" ;;
	77)	echo "== $name: skipped" ;;
	*)	echo "== $name: failed (exit $rc)"; status=1 ;;
	esac
done
exit $status
