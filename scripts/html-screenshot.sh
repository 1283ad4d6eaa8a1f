#!/bin/sh
# html-screenshot.sh — render an HTML report in headless Chromium and save a
# PNG screenshot, to check that `connscope analyze --format html` output
# renders. Installs nothing; needs chromium (or chromium-browser,
# google-chrome) on PATH, or its path in $CHROMIUM.
#
# Usage: scripts/html-screenshot.sh REPORT.html OUT.png [WIDTH,HEIGHT]
# (default window 1400,2000). Exit status 2 when no browser is found.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT]" >&2
	exit 64
fi
in=$1
out=$2
size=${3:-1400,2000}

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser google-chrome google-chrome-stable; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$b
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	echo "$0: no chromium found (set CHROMIUM)" >&2
	exit 2
fi

case $in in
/*) abs=$in ;;
*) abs=$(pwd)/$in ;;
esac
case $out in
/*) outabs=$out ;;
*) outabs=$(pwd)/$out ;;
esac
[ -r "$abs" ] || { echo "$0: cannot read $in" >&2; exit 1; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM
"$browser" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --user-data-dir="$profile" \
	--screenshot="$outabs" --window-size="$size" \
	"file://$abs" >/dev/null 2>&1
[ -s "$outabs" ] || { echo "$0: no screenshot written" >&2; exit 1; }
echo "$outabs"
