#!/bin/sh
# lab.sh regenerates the real-traffic captures in testdata/pcaps.
#
#   scripts/lab.sh                 all scenarios
#   scripts/lab.sh curl_reuse ...  only the named ones
#   scripts/lab.sh -list           list scenarios and their workloads
#   scripts/lab.sh -verify         re-count the committed captures with tshark
#
# Needs root, iproute2 (`ip netns`), tcpdump, nginx, curl, ab, wrk, nc and
# ethtool; tshark for verification. Traffic stays inside two network
# namespaces the run creates and deletes (192.0.2.1 <-> 192.0.2.2).
set -eu

cd "$(dirname "$0")/.."

case "${1:-}" in
-list|-verify) ;;
*)
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab.sh: must run as root (network namespaces, tcpdump)" >&2
		exit 2
	fi
	if ! ip netns list >/dev/null 2>&1; then
		echo "lab.sh: 'ip netns' is unavailable (install iproute2; needs network namespace support)" >&2
		exit 2
	fi
	;;
esac
command -v go >/dev/null 2>&1 || { echo "lab.sh: go not found in PATH" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
go build -o "$tmp/lab" ./internal/lab/cmd/lab
"$tmp/lab" "$@"
