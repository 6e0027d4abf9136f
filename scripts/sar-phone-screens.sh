#!/usr/bin/env bash
# How far a subject-access page is to scroll on a phone (issue 14): the page's height, where the
# person's data starts and where the legal information starts, in phone screens of 390x844 CSS
# pixels.
#
#   scripts/sar-phone-screens.sh [PAGE.html]      (from the project root)
#
# Without PAGE it answers the request of the fullest record in fixtures/multi-file (P-000018,
# PESEL 09312140604: 30 grades, 4 attendance entries, 14 categories) in Polish and measures that.
#
# Headless Chromium lays the page out in a 390x844 frame (its window cannot be narrower than
# 500 px); a measuring script is appended to a copy of the page (the page itself has none and
# must keep having none) and posts the numbers to the frame's parent, which --dump-dom prints.
# Needs Debian's `chromium` and `unzip`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
page=${1:-}
if [ -z "$page" ]; then
    cargo build -q
    SOURCE_DATE_EPOCH=1767225600 target/debug/teczka sar fixtures/multi-file \
        --subject pesel:09312140604 --controller fixtures/sar/controller-pl.toml \
        --received 2026-11-02 --answered 2026-11-20 --reference SAR-MEASURE --unencrypted \
        -o "$work/sar.zip" 2>/dev/null
    unzip -q "$work/sar.zip" -d "$work/sar"
    page=$work/sar/sar/data/index.html
fi
cp "$page" "$work/page.html"
cat >> "$work/page.html" <<'JS'
<script>
addEventListener('load', function () {
  var screen = innerHeight, height = document.documentElement.scrollHeight;
  function top(id) {
    var e = document.getElementById(id);
    return e ? e.getBoundingClientRect().top + scrollY : NaN;
  }
  function screens(px) { return isNaN(px) ? '-' : (px / screen).toFixed(1); }
  // #art15 holds the legal sections; older pages had only the sections, #art15-1-a first.
  var data = top('records'), legal = isNaN(top('art15')) ? top('art15-1-a') : top('art15');
  parent.postMessage('viewport ' + innerWidth + 'x' + screen +
    ': height ' + height + ' px = ' + screens(height) + ' screens' +
    '; data starts at ' + screens(data) + ' screens (#records)' +
    '; legal information at ' + screens(legal) + ' screens' +
    '; sideways overflow: ' + (document.documentElement.scrollWidth > innerWidth), '*');
});
</script>
JS
cat > "$work/frame.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0">
<iframe src="page.html" style="width:390px;height:844px;border:0"></iframe><pre id="out"></pre>
<script>addEventListener('message', function (e) {
  document.getElementById('out').textContent = 'MEASURED ' + e.data; });</script>
</body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile" \
    --window-size=800,1000 --virtual-time-budget=5000 --dump-dom "file://$work/frame.html" \
    2>/dev/null | grep -o 'MEASURED viewport[^<]*' | sed 's/^MEASURED //'
