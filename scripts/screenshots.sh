#!/usr/bin/env bash
# Makes screenshots/*.png and screenshots/demo.cast from a real run of
# `poetry-dash demo` in tmux: the pane is captured with its colours
# (tmux capture-pane -e), turned into HTML (ansi2html, from PyPI) and
# photographed by headless Chromium (Debian's chromium). The recording is made
# with asciinema (PyPI). Everything it needs it installs; it takes about a
# minute, most of it the demo playing out.
#
#   scripts/screenshots.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/screenshots
WORK=${WORK:-${TMPDIR:-/tmp}/poetry-dash-screenshots}
mkdir -p "$OUT" "$WORK"
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

if ! command -v chromium >/dev/null || ! command -v tmux >/dev/null || ! fc-list | grep -i 'wenquanyi' >/dev/null; then
    log "installing tmux, chromium and a CJK font"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux chromium fonts-wqy-zenhei fonts-dejavu-core >/dev/null
fi
if ! "$WORK/venv/bin/ansi2html" --version >/dev/null 2>&1 || ! "$WORK/venv/bin/asciinema" --version >/dev/null 2>&1; then
    log "installing ansi2html and asciinema"
    python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q ansi2html asciinema
fi
log "building poetry-dash"
(cd "$ROOT" && cargo build --release --locked -q)
DASH=$ROOT/target/release/poetry-dash

TMUX_CMD=(tmux -L poetry-dash-shots -f /dev/null)
trap '"${TMUX_CMD[@]}" kill-server 2>/dev/null || true' EXIT

# shot NAME COLS ROWS: the pane as a PNG the size of the terminal.
shot() {
    local name=$1 cols=$2 rows=$3
    "${TMUX_CMD[@]}" capture-pane -e -p -t shots > "$WORK/$name.ansi"
    {
        printf '<!doctype html><meta charset="utf-8"><style>'
        printf 'body{margin:0;background:#1d1f21}'
        printf 'pre.ansi2html-content{margin:0;padding:8px;font:15px/1.2 "DejaVu Sans Mono","WenQuanYi Zen Hei Mono",monospace;white-space:pre}'
        printf '</style>'
        "$WORK/venv/bin/ansi2html" --scheme osx < "$WORK/$name.ansi" | sed -n '/<style/,$p'
    } > "$WORK/$name.html"
    local width=$(( cols * 9 + 16 )) height=$(( rows * 18 + 16 ))
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$WORK/chromium" --hide-scrollbars \
        --window-size="$width,$height" --screenshot="$OUT/$name.png" "file://$WORK/$name.html" 2>/dev/null
    log "screenshots/$name.png"
}

start() {
    "${TMUX_CMD[@]}" kill-server 2>/dev/null || true
    # A tmux server that is still shutting down refuses the new session for
    # a moment: try again.
    for _ in 1 2 3 4 5; do
        "${TMUX_CMD[@]}" new-session -d -s shots -x "$2" -y "$3" "$1; sleep 600" 2>/dev/null && break
        sleep 0.5
    done
    "${TMUX_CMD[@]}" set -g status off
}
keys() { "${TMUX_CMD[@]}" send-keys -t shots "$@"; }

log "the demo at 120x40 (about half a minute)"
start "'$DASH' demo" 120 40
sleep 3;  shot poem 120 40          # the poem pane growing, rows still queued
sleep 6;  shot overview 120 40      # after the demo's own cancel at 8 s
keys '?'; sleep 0.5; shot help 120 40; keys Escape
sleep 12; keys v; sleep 0.5; shot gallery 120 40
keys q

log "the demo in a narrow terminal"
start "'$DASH' demo" 72 22
sleep 4; shot narrow 72 22
keys q

log "recording the demo (asciicast)"
rm -f "$OUT/demo.cast"
start "'$WORK/venv/bin/asciinema' rec -q --cols 120 --rows 40 -c \"'$DASH' demo --exit-when-done\" '$OUT/demo.cast'" 120 40
for _ in $(seq 1 120); do
    "${TMUX_CMD[@]}" capture-pane -p -t shots | grep -q 'Got .* poems in' && break
    sleep 1
done
sleep 1
log "screenshots/demo.cast ($(wc -c < "$OUT/demo.cast") bytes)"
