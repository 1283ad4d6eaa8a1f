#!/bin/bash
# fuzz.sh runs every native Go fuzz target, one after the other, for the
# given time each, and reports crashers.
#
#   scripts/fuzz.sh            60s per target
#   scripts/fuzz.sh 10m        ten minutes per target
#   scripts/fuzz.sh 30s Pipe   only targets whose name contains "Pipe"
#
# FUZZ_PARALLEL sets the fuzzing workers per target (default 1, so that a
# shared machine keeps its other cores). A crasher is written by Go to
# <package>/testdata/fuzz/<Target>/<hash>; after fixing the bug, keep that
# file: it is then a regression seed run by every `go test`. The summary
# gives the CPU time each target used (user + system). FUZZ_LOGDIR keeps
# each target's full output as <dir>/<package>-<Target>.log.
set -u

cd "$(dirname "$0")/.."

dur="${1:-60s}"
filter="${2:-}"
par="${FUZZ_PARALLEL:-1}"

# package target
targets="
./capture FuzzReadFile
./capture FuzzDecode
./reassembly FuzzTracker
./reassembly FuzzTrackerSegments
./httpdecode FuzzConn
./report FuzzEscape
./report FuzzAppendIndented
./report FuzzRecordLogDamagedSpill
./internal/pipeline FuzzPipeline
./proto/websocket FuzzWebSocket
./proto/h2 FuzzH2
./proto/tlshello FuzzClientHello
./proto/quic FuzzTracker
./proto/dns FuzzParse
"

status=0
summary=""
log="$(mktemp -t connscope-fuzz.XXXXXX)"
trap 'rm -f "$log"' EXIT
while read -r pkg name; do
	[ -z "$pkg" ] && continue
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	dir="$pkg/testdata/fuzz/$name"
	before="$(ls "$dir" 2>/dev/null | sort)"
	echo "== $name ($pkg) for $dur, $par worker(s)"
	if /usr/bin/time -f "%U %S" -o "$log.time" \
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$dur" -parallel "$par" "$pkg" >"$log" 2>&1; then
		result="ok"
	else
		result="FAIL"
		status=1
		if grep -qE -- '--- FAIL|Failing input written to|panic:' "$log"; then
			grep -E -- '--- FAIL|Failing input written to|panic:' "$log" | head -20
		else
			tail -n 20 "$log"
		fi
	fi
	grep -E '^fuzz: elapsed' "$log" | tail -n 1
	if [ -n "${FUZZ_LOGDIR:-}" ]; then
		mkdir -p "$FUZZ_LOGDIR" && cp "$log" "$FUZZ_LOGDIR/$(basename "$pkg")-$name.log"
	fi
	cpu="$(awk '{printf "%.2f", ($1+$2)/60}' "$log.time" 2>/dev/null)"
	new="$(comm -13 <(echo "$before") <(ls "$dir" 2>/dev/null | sort) | tr '\n' ' ')"
	summary="$summary$(printf '%-22s %-5s %5s CPU-min  %s' "$name" "$result" "$cpu" "${new:+new crashers: $new}")\n"
done <<<"$targets"
rm -f "$log.time"

echo
echo "== summary ($dur per target)"
printf "%b" "$summary"
exit $status
