#!/usr/bin/env bash
# The flame graph test: profile tests/progs/burn (hot_fn ~90% of its CPU,
# cold_fn ~10%) with -f flamegraph, check the SVG as XML, check that hot_fn
# is the widest frame below main, then let headless Chromium run the SVG's
# script (it writes the frame labels: --dump-dom shows them; ?zoom=&s= zoom and
# search) and take a screenshot, kept as $BUILD/artifacts/flamegraph.png.
set -u
build=$(dirname "$STROBE")
art=$build/artifacts
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# a tree mounted read-only (the kernel lane's guest) keeps them for the run only
if ! mkdir -p "$art" 2>/dev/null || [ ! -w "$art" ]; then
	art=$d/artifacts
	mkdir -p "$art"
fi
svg=$art/flamegraph.svg
"$TESTPROGS"/burn 2 3 &
burn=$!
"$STROBE" -q -f flamegraph -o "$svg" -e 'profile:hz:99 /comm == "burn"/ { @[ustack, comm] = count(); } interval:s:2 { exit(); }' || exit 1
kill "$burn" 2>/dev/null
xmllint --noout "$svg" && echo "svg: well-formed XML"
# frame widths by name (one <g> per line): hot_fn must be the widest frame below main
awk -F'"' '/<g class="f"/ { match($0, /<title>[^<]* \(/); n = substr($0, RSTART + 7, RLENGTH - 9);
	for (i = 1; i < NF; i++) if ($i ~ / width=$/) w[n] += $(i + 1) }
	END { best = ""; for (n in w) if (n != "all" && n != "burn" && n != "main" && n !~ /^0x/ && w[n] > w[best]) best = n;
	      printf "widest frame below main: %s (%.0f of %.0f px)\n", best, w[best], w["all"] }' "$svg"
grep -c '<g class="f"' "$svg" | sed 's/^/frames: /'
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
	--disable-sync --no-first-run --user-data-dir="$d/profile")
timeout 60 chromium "${flags[@]}" --dump-dom "file://$svg" 2>/dev/null >"$d/dom.xml"
grep -q '<text x="[0-9.]*" y="[0-9]*">hot_fn</text>' "$d/dom.xml" && echo "chromium ran the script: hot_fn is labelled"
# zoom on main and search for hot_fn, as a shared link would
timeout 60 chromium "${flags[@]}" --dump-dom "file://$svg?zoom=hot_fn&s=^hot" 2>/dev/null >"$d/zoom.xml"
grep -o '<text id="matched"[^>]*>[^<]*' "$d/zoom.xml" | sed 's/.*>/search: /; s/[0-9.]*%/N%/'
grep -q '<title>hot_fn ([0-9]* samples, [0-9.]*%)</title><rect x="10.00" y="[0-9]*" width="1180.00" height="15" fill="rgb(230,0,230)"' "$d/zoom.xml" &&
	echo "zoomed on hot_fn: full width, highlighted"
grep -q '<g class="f" data-s="[0-9]*" data-v="[0-9]*" data-d="[0-9]*" style="display: none;"><title>cold_fn' "$d/zoom.xml" &&
	echo "zoomed on hot_fn: cold_fn hidden"
rm -f "$art/flamegraph.png"
timeout 60 chromium "${flags[@]}" --window-size=1200,300 --screenshot="$art/flamegraph.png" "file://$svg" >/dev/null 2>&1
[ "$(head -c 4 "$art/flamegraph.png" 2>/dev/null | tail -c 3)" = PNG ] && echo "screenshot: PNG, $(stat -c %s "$art/flamegraph.png") bytes"
