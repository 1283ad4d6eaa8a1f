#!/bin/sh
# bench.sh measures connscope against the decode-only floor, tshark and
# tcptrace on large captures of real traffic.
#
#   scripts/bench.sh                 measure the captures in $BENCH_DIR (generate missing ones)
#   scripts/bench.sh -gen            (re)generate the captures first (root; see scripts/lab.sh)
#   scripts/bench.sh FILE...         measure the given uncompressed captures
#
# Environment: BENCH_DIR (default /tmp/connscope-bench; never inside the
# repository), RUNS (timed runs of the floor and connscope, default 3),
# EXT_RUNS (runs of tshark and tcptrace, default 2), LAB_BENCH_SECONDS
# (wrk duration of bench_short, default 60; bench_short_tenth runs a tenth
# of it, bench_keepalive a quarter).
#
# For every file the tools take turns, round after round (RUNS rounds;
# tshark and tcptrace in the first EXT_RUNS), so that a drift of the
# machine's speed falls on all of them alike. It prints, per tool, the best
# wall time of its runs (and the spread, a measure of the noise of a shared
# machine), user+system CPU seconds, packets/s and MB/s on the best run, and
# the largest peak RSS (/usr/bin/time -v "Maximum resident set size"); then
# connscope's ratios to the others. Tools:
#   floor      benchtool floor: pcapgo reader + DecodingLayerParser + flow map
#   connscope  connscope analyze --format json FILE >/dev/null (all detectors)
#   workers=1  the same with --workers 1 (everything on one goroutine); the
#              script also checks that both write the same JSON
#   tshark     tshark -n -q -z conv,tcp -z http,tree
#   tcptrace   tcptrace -n -q
set -eu

cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/connscope-bench}
runs=${RUNS:-3}
ext_runs=${EXT_RUNS:-2}
scenarios="bench_short bench_short_tenth bench_keepalive"

[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
mkdir -p "$dir"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
trap 'exit 130' INT TERM
go build -o "$bin/connscope" ./cmd/connscope
go build -o "$bin/benchtool" ./internal/benchtool/cmd/benchtool

gen=0
if [ "${1:-}" = "-gen" ]; then
	gen=1
	shift
fi

# generate NAME: run the lab scenario and leave an uncompressed $dir/NAME.pcap.
generate() {
	echo "== generating $1 (scripts/lab.sh, wrk in network namespaces)"
	# The lab re-counts the capture with tshark afterwards; on a loaded
	# machine that check may fail or be killed, which does not make the
	# capture unusable.
	scripts/lab.sh -out "$dir" "$1" || echo "bench.sh: lab reported a failure for $1 (capture kept if written)" >&2
	[ -f "$dir/$1.pcap.gz" ] || { echo "bench.sh: $1 produced no capture" >&2; exit 1; }
	gunzip -c "$dir/$1.pcap.gz" >"$dir/$1.pcap.tmp" && mv "$dir/$1.pcap.tmp" "$dir/$1.pcap"
	rm -f "$dir/$1.pcap.gz"
}

if [ $# -eq 0 ]; then
	for s in $scenarios; do
		if [ $gen -eq 1 ] || [ ! -f "$dir/$s.pcap" ]; then
			generate "$s"
		fi
		set -- "$@" "$dir/$s.pcap"
	done
fi

# run1 LABEL CMD...: run CMD once; append "wall cpu max_rss_kb" to $bin/m.LABEL.
run1() {
	label=$1
	shift
	/usr/bin/time -v -o "$bin/t" "$@" >/dev/null 2>"$bin/err" || {
		echo "bench.sh: $label failed:" >&2
		tail -3 "$bin/err" >&2
		return 1
	}
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, a, ":"); w = 0; for (k = 1; k <= n; k++) w = w * 60 + a[k] }
		/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
		END { printf "%.3f %.3f %d\n", w, u + s, r }' "$bin/t" >>"$bin/m.$label"
}

# summary LABEL: print "LABEL best_wall worst_wall cpu_of_best max_rss_kb"
# from the runs of LABEL.
summary() {
	[ -s "$bin/m.$1" ] || return 0
	sort -n "$bin/m.$1" | awk -v l="$1" '
		NR == 1 { best = $1; cpu = $2 } { worst = $1; if ($3 > rss) rss = $3 }
		END { printf "%s %.3f %.3f %.3f %d\n", l, best, worst, cpu, rss }'
}

for f in "$@"; do
	size=$(stat -c %s "$f")
	pk=$("$bin/benchtool" floor "$f" | sed -n 's/^packets=\([0-9]*\) .*/\1/p')
	echo
	echo "== $(basename "$f"): $pk packets, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB"
	res="$bin/res"
	: >"$res"
	rm -f "$bin"/m.*
	# The tools take turns, round after round, so that the machine's speed
	# drifting during the run (a shared virtual machine) falls on all of
	# them alike.
	have_tshark=0 have_tcptrace=0
	command -v tshark >/dev/null 2>&1 && have_tshark=1
	command -v tcptrace >/dev/null 2>&1 && have_tcptrace=1
	rounds=$((runs > ext_runs ? runs : ext_runs))
	round=1
	while [ $round -le $rounds ]; do
		if [ $round -le "$runs" ]; then
			run1 floor "$bin/benchtool" floor "$f" || exit 1
			run1 connscope "$bin/connscope" analyze --format json "$f" || exit 1
			run1 workers=1 "$bin/connscope" analyze --workers 1 --format json "$f" || exit 1
		fi
		if [ $round -le "$ext_runs" ]; then
			[ $have_tshark -eq 1 ] && { run1 tshark tshark -n -q -r "$f" -z conv,tcp -z http,tree || have_tshark=0; }
			[ $have_tcptrace -eq 1 ] && { run1 tcptrace tcptrace -n -q "$f" || have_tcptrace=0; }
		fi
		round=$((round + 1))
	done
	# Not timed: the JSON of the default run and of --workers 1 compared.
	same=no
	a=$("$bin/connscope" analyze --format json "$f" | sha256sum)
	b=$("$bin/connscope" analyze --workers 1 --format json "$f" | sha256sum)
	[ "$a" = "$b" ] && same=yes
	for t in floor connscope workers=1 tshark tcptrace; do
		summary $t >>"$res"
	done
	awk -v pk="$pk" -v size="$size" -v cores="$(getconf _NPROCESSORS_ONLN)" -v same="$same" '
		# ratios prints the speed and peak RSS of tool c against the others.
		function ratios(c, name,    k, o, sep) {
			printf "%s speed: %.2f of the floor", name, best["floor"] / best[c]
			if ("tshark" in best) printf ", %.2fx tshark", best["tshark"] / best[c]
			if ("tcptrace" in best) printf ", %.2fx tcptrace", best["tcptrace"] / best[c]
			printf "\n%s peak RSS: %.1f MB", name, rss[c] / 1024
			sep = " ="
			for (k = 0; k < 2; k++) {
				o = k == 0 ? "tshark" : "tcptrace"
				if (!(o in rss)) continue
				if (rss[o] >= rss[c]) printf "%s 1/%.1f of %s", sep, rss[o] / rss[c], o
				else printf "%s %.1fx %s", sep, rss[c] / rss[o], o
				sep = ","
			}
			printf "\n"
		}
		{ tool[NR] = $1; best[$1] = $2; worst[$1] = $3; cpu[$1] = $4; rss[$1] = $5 }
		END {
			printf "%-10s %9s %9s %8s %12s %9s %10s\n", "tool", "wall_s", "spread", "cpu_s", "packets/s", "MB/s", "rss_MB"
			for (i = 1; i <= NR; i++) {
				t = tool[i]
				printf "%-10s %9.3f %8.0f%% %8.3f %12.0f %9.1f %10.1f\n", t, best[t], 100 * (worst[t] - best[t]) / best[t],
					cpu[t], pk / best[t], size / 1e6 / best[t], rss[t] / 1024
			}
			ratios("connscope", "connscope")
			if ("workers=1" in best) ratios("workers=1", "connscope --workers 1")
			if ("workers=1" in best)
				printf "connscope on %d cores: %.2fx the throughput of --workers 1 (same JSON: %s)\n", cores, best["workers=1"] / best["connscope"], same
		}' "$res"
	cp "$res" "$bin/res.$(basename "$f")"
done

# Memory growth: bench_short is ten times longer than bench_short_tenth at
# the same concurrency.
a="$bin/res.bench_short_tenth.pcap" b="$bin/res.bench_short.pcap"
if [ -f "$a" ] && [ -f "$b" ]; then
	echo
	awk 'FILENAME == ARGV[1] { x[$1] = $5 } FILENAME == ARGV[2] { y[$1] = $5 }
		END {
			for (k = 0; k < 2; k++) {
				t = k == 0 ? "connscope" : "workers=1"
				name = k == 0 ? "connscope" : "connscope --workers 1"
				if (!(t in x) || !(t in y)) continue
				printf "%s RSS, capture 10x longer at the same concurrency: %.1f MB -> %.1f MB (%+.0f%%)\n", name, x[t] / 1024, y[t] / 1024, 100 * (y[t] - x[t]) / x[t]
			}
		}' "$a" "$b"
fi
