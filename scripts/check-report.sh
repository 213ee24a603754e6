#!/usr/bin/env bash
# Renders DIR/index.html in headless Chromium (Debian's `chromium` package) at a desktop's width
# and at a phone's (390 px), saves DIR/screenshot.png and DIR/screenshot-390.png, and fails if
# the page has no chart, no verdict or no tooltips, or shows an error. Look at both screenshots:
# what a first-time reader would stumble on, no script can tell.
#
# Usage: scripts/check-report.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/check-report.sh DIR}
page="$dir/index.html"
[ -f "$page" ] || { echo "error: $page does not exist" >&2; exit 2; }
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "error: chromium is not installed (apt-get install chromium)" >&2; exit 2; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-quic --user-data-dir="$profile")
url="file://$(cd "$dir" && pwd)/index.html"

timeout 120 "$chromium" "${flags[@]}" --window-size=1400,2400 --screenshot="$dir/screenshot.png" "$url" \
  >"$profile/log" 2>&1 || { cat "$profile/log" >&2; echo "error: chromium could not render $page" >&2; exit 1; }
timeout 120 "$chromium" "${flags[@]}" --window-size=390,3000 --screenshot="$dir/screenshot-390.png" "$url" \
  >"$profile/log" 2>&1 || { cat "$profile/log" >&2; echo "error: chromium could not render $page at 390 px" >&2; exit 1; }
timeout 120 "$chromium" "${flags[@]}" --dump-dom "$url" >"$profile/dom.html" 2>>"$profile/log" \
  || { cat "$profile/log" >&2; echo "error: chromium could not load $page" >&2; exit 1; }

fail() { echo "error: $page: $*" >&2; exit 1; }
svgs=$(grep -o '<svg' "$profile/dom.html" | wc -l)
lines=$(grep -o '<polyline' "$profile/dom.html" | wc -l)
[ "$svgs" -ge 3 ] || fail "only $svgs charts in the rendered page"
[ "$lines" -ge 1 ] || fail "the charts have no data lines"
! grep -q 'No chart:' "$profile/dom.html" || fail "a chart could not be drawn: $(grep -o 'No chart:[^<]*' "$profile/dom.html" | head -1)"
grep -q '<h1>lockbench' "$profile/dom.html" || fail "the page has no lockbench title (an error page?)"
grep -q 'id="verdict"' "$profile/dom.html" || fail "the page has no verdict"
grep -q '<title>' <(sed -n '/<svg/,$p' "$profile/dom.html") || fail "the charts' points have no tooltips"
size=$(stat -c %s "$dir/screenshot.png")
[ "$size" -gt 20000 ] || fail "the screenshot is nearly empty ($size bytes)"
echo "ok: $page renders: $svgs charts, $lines data lines; screenshots $dir/screenshot.png ($size bytes) and $dir/screenshot-390.png"
