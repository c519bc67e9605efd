#!/usr/bin/env bash
# Anchor location on 1920x1080 screenshots: Docket (docket-desktop's multi-scale NCC) side by side
# with pyautogui's search (pyscreeze.locate + OpenCV), on the same PNG files, plus the OCR path.
#
#   benches/locate_compare.sh [OUTDIR] [RUNS]      (defaults: /tmp/docket-locate-compare, 15)
#
# Needs: Xvfb and python3-tk (the Tk form fixture is screenshotted on an owned 1920x1080 Xvfb),
# tesseract-ocr, and PyPI access once for the venv (~/.cache/docket/bench-venv: pyscreeze,
# opencv-python-headless, pillow). pyautogui itself is not installed: locateOnScreen is a screen
# grab followed by pyscreeze.locate(needle, grab, confidence=...), and grabbing is not what is
# compared; pyscreeze.locate on the saved PNGs needs no display.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out="${1:-/tmp/docket-locate-compare}"
runs="${2:-15}"
venv="${HOME}/.cache/docket/bench-venv"
mkdir -p "$out"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import pyscreeze, cv2, PIL' 2>/dev/null; then
    echo "== creating $venv (PyPI: pyscreeze opencv-python-headless pillow)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pyscreeze opencv-python-headless pillow
fi

echo "== building the examples (release)"
(cd "$root" && cargo build --release --quiet -p docket-desktop --example locate_bench --example locate_compare)
bin="$root/target/release/examples"

echo "== machine"
echo "$(nproc) cores, $(uptime | sed 's/.*load average/load average/')"

echo "== preparing screenshots and anchors in $out"
"$bin/locate_bench" --save-screen "$out/synthetic.png"
"$bin/locate_compare" prepare "$out" "$out/synthetic.png"

# The machine is shared: the two sides run case by case, back to back, so that both see the same
# load; each process times RUNS calls of its own and prints one line per case.
echo "== locate, case by case: Docket (screen preparation + multi-scale NCC), then pyscreeze.locate"
echo "   (confidence 0.9) and a naive OpenCV multi-scale loop on the same files; $(uptime | sed 's/.*load average/load average/')"
: > "$out/docket.tsv"
: > "$out/pyscreeze.tsv"
first=1
while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    printf '%s\n' "$line" > "$out/case.tsv"
    if (( first )); then
        "$bin/locate_compare" time "$out/case.tsv" "$runs" | sed -n 1,3p >> "$out/docket.tsv"
        "$venv/bin/python" "$here/pyautogui_locate.py" "$out/case.tsv" "$runs" >> "$out/pyscreeze.tsv"
        first=0
    else
        "$bin/locate_compare" time "$out/case.tsv" "$runs" | sed -n 3p >> "$out/docket.tsv"
        "$venv/bin/python" "$here/pyautogui_locate.py" "$out/case.tsv" "$runs" | sed -n 3p >> "$out/pyscreeze.tsv"
    fi
    printf '.'
done < "$out/manifest.tsv"
echo
"$bin/locate_compare" time "$out/manifest.tsv" 5 | grep '^screen preparation' >> "$out/docket.tsv"
echo "-- Docket"; cat "$out/docket.tsv"
echo "-- pyautogui / OpenCV"; cat "$out/pyscreeze.tsv"

echo "== OCR path (tesseract CLI, --psm 11, OMP_THREAD_LIMIT=1) on the 1920x1080 Tk screenshot; $(uptime | sed 's/.*load average/load average/')"
echo "Counterparty label is at $(cat "$out/tk-counterparty-label.txt") (x y w h)"
"$bin/locate_compare" ocr "$out/tk.png" Counterparty "$runs" | tee "$out/ocr.txt"
echo "== OCR path in process (signals::read_words + docket_documents' Tesseract engine, 2x upscale)"
OMP_THREAD_LIMIT=1 "$bin/locate_compare" ocr-engine "$out/tk.png" Counterparty "$(cat "$out/tk-window.txt")" "$runs" | tee -a "$out/ocr.txt"

echo "== load after the runs: $(uptime | sed 's/.*load average/load average/')"
