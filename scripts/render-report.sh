#!/usr/bin/env bash
# The real-browser check of `descent plot` and `descent report`: draws both and renders them to
# PNG in headless Chromium, so that a person can look at what a browser shows. (The tests check
# the SVG and HTML structure without a browser; this is the check they cannot make.)
#
#   scripts/render-report.sh                          # trains two short runs first (1-2 min on 2 cores)
#   scripts/render-report.sh --db PATH RUN [RUN...]   # runs that already exist
#
# Without runs it prepares ../shared/data/tinyshakespeare.txt (or, when that is absent, this
# repository's own text) and trains configs/shakespeare-char-mlp.json and
# configs/shakespeare-char-mlp-best.json for 2,000 steps each, with samples every 500 steps.
#
# Writes to bench-out/render/: curves.svg and curves.png (the plot), report.html, report.png
# (the first 2,400 pixels of the page: summary and curves) and report.pdf (the whole page, as
# Chromium prints it). Needs Debian's `chromium`; run as root, the script installs it with
# apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench-out/render
db=""
runs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) runs+=("$1"); shift ;;
    esac
done
if [ -n "$db" ] && [ ${#runs[@]} -eq 0 ]; then
    echo "error: --db needs the runs to draw, e.g. scripts/render-report.sh --db $db RUN" >&2
    exit 64
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: Chromium is not installed. Install it (Debian: sudo apt-get install chromium) and re-run." >&2
        exit 1
    fi
    echo "==> installing chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    browser=$(command -v chromium)
fi

echo "==> building (release)"
swift build -c release --product descent
descent=.build/release/descent
mkdir -p "$out"

if [ ${#runs[@]} -eq 0 ]; then
    db="$out/render.db"
    rm -f "$db" "$db-wal" "$db-shm"
    data="$out/data"
    if [ -f ../shared/data/tinyshakespeare.txt ]; then
        echo "==> preparing ../shared/data/tinyshakespeare.txt"
        "$descent" prepare ../shared/data/tinyshakespeare.txt --out "$data" --split-by file --overwrite >/dev/null
    else
        echo "==> ../shared/data/tinyshakespeare.txt is absent: preparing this repository's own text"
        mapfile -t sources < <(find Sources -name '*.swift' | LC_ALL=C sort)
        "$descent" prepare README.md "${sources[@]}" --out "$data" --split-by file --overwrite >/dev/null
    fi
    common=(--db "$db" --quiet --set "data.dir=$data" --set training.maxSteps=2000 --set training.evalInterval=250
            --set training.evalBatches=50 --set training.checkpointInterval=1000 --set training.sampleInterval=500
            --set training.sampleTokens=120)
    for config in shakespeare-char-mlp shakespeare-char-mlp-best; do
        echo "==> training $config for 2,000 steps"
        "$descent" train "configs/$config.json" --run "$config" "${common[@]}" --set schedule.warmupSteps=100
    done
    runs=(shakespeare-char-mlp shakespeare-char-mlp-best)
fi

echo "==> drawing ${runs[*]}"
"$descent" plot "${runs[@]}" --db "$db" -o "$out/curves.svg"
"$descent" report "${runs[@]}" --db "$db" -o "$out/report.html"

# Headless Chromium refuses to run as root inside its sandbox.
flags=(--headless --disable-gpu --hide-scrollbars --force-device-scale-factor=1 --no-first-run --no-default-browser-check)
[ "$(id -u)" -eq 0 ] && flags+=(--no-sandbox)
shoot() {  # shoot URL WIDTH HEIGHT PNG
    "$browser" "${flags[@]}" --window-size="$2,$3" --screenshot="$4" "$1" >/dev/null 2>&1
    [ -s "$4" ] || { echo "error: Chromium wrote no $4" >&2; exit 1; }
}
svg_width=$(sed -n 's/.*<svg [^>]*width="\([0-9]*\)".*/\1/p' "$out/curves.svg" | head -1)
svg_height=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' "$out/curves.svg" | head -1)
here=$(pwd)
echo "==> rendering in $("$browser" --version 2>/dev/null | head -1)"
shoot "file://$here/$out/curves.svg" "$svg_width" "$svg_height" "$out/curves.png"
shoot "file://$here/$out/report.html" 1040 2400 "$out/report.png"
"$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$out/report.pdf" "file://$here/$out/report.html" >/dev/null 2>&1
ls -l "$out"/curves.svg "$out"/curves.png "$out"/report.html "$out"/report.png "$out"/report.pdf | awk '{print $5, $9}'
echo "Look at $out/curves.png and $out/report.png: the curves and the numbers should read without squinting."
