#!/usr/bin/env python3
"""pyautogui's template search (pyscreeze.locate with OpenCV) on the same screenshots and anchors
as Docket's `locate_compare` example.

Usage: pyautogui_locate.py MANIFEST.tsv [RUNS]

pyautogui.locateOnScreen(needle, confidence=0.9) is pyscreeze.locate(needle, <screenshot>,
confidence=0.9): a grab of the screen followed by exactly this call. Here the "screenshot" is a
saved PNG, so no display is needed and both sides search identical pixels. The images are decoded
once, outside the timed part (as Docket's side does): the time is pyscreeze's own work — its
RGB→BGR conversion of the PIL image, cv2.matchTemplate(TM_CCOEFF_NORMED) in colour, and the
threshold scan. pyscreeze searches at one scale only and returns the first position (in raster
order) above the confidence, not the best one.

Manifest rows (tab-separated, written by `locate_compare prepare`):
  case  screen.png  anchor.png  x  y  w  h  scale
where x y w h is where the anchor really is on that screen.

Prints one line per case: median and p90 of RUNS calls (default 15), what was found, whether it
is the right place (centre within half the expected box), and OpenCV's highest score when nothing
reached the confidence; then the same call timed on BGR numpy arrays converted beforehand (OpenCV's
matching alone, without pyscreeze's per-call PIL→BGR conversion). A second column times a naive OpenCV multi-scale loop (template resized
to 0.75/1/1.25/1.5, best of the four), the usual do-it-yourself fix for the single scale.
"""
import statistics
import sys
import time

import cv2
import numpy
import pyscreeze
from PIL import Image

CONFIDENCE = 0.9
SCALES = (0.75, 1.0, 1.25, 1.5)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def right_place(box, exp):
    if box is None:
        return False
    x, y, w, h = box
    ex, ey, ew, eh = exp
    cx, cy = x + w / 2, y + h / 2
    ecx, ecy = ex + ew / 2, ey + eh / 2
    return abs(cx - ecx) <= ew / 2 and abs(cy - ecy) <= eh / 2


def pyscreeze_once(needle, haystack):
    """(box or None, note) for one pyscreeze.locate call."""
    try:
        b = pyscreeze.locate(needle, haystack, confidence=CONFIDENCE)
    except pyscreeze.ImageNotFoundException as e:
        return None, str(e)
    if b is None:
        return None, "not found"
    return (int(b.left), int(b.top), int(b.width), int(b.height)), ""


def multiscale_once(needle_bgr, haystack_bgr):
    """Best TM_CCOEFF_NORMED over the template resized to each of SCALES: (box, score, scale)."""
    best = (None, -2.0, 0.0)
    for s in SCALES:
        n = needle_bgr if s == 1.0 else cv2.resize(
            needle_bgr, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        if n.shape[0] > haystack_bgr.shape[0] or n.shape[1] > haystack_bgr.shape[1]:
            continue
        r = cv2.matchTemplate(haystack_bgr, n, cv2.TM_CCOEFF_NORMED)
        _, score, _, loc = cv2.minMaxLoc(r)
        if score > best[1]:
            best = ((loc[0], loc[1], n.shape[1], n.shape[0]), score, s)
    return best


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    print(f"pyscreeze {pyscreeze.__version__}, OpenCV {cv2.__version__}, "
          f"numpy {numpy.__version__}, OpenCV threads {cv2.getNumThreads()}, runs {runs}")
    print("case\tpyscreeze median ms\tp90 ms\tfound\tright\tnote\ton BGR arrays median ms\tp90 ms"
          "\topencv-multiscale median ms\tp90 ms\tfound\tscore\tscale\tright")
    with open(sys.argv[1], encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    for case, screen, anchor, x, y, w, h, _scale in rows:
        exp = (int(x), int(y), int(w), int(h))
        # Decoded once: pyautogui hands pyscreeze a PIL image of the screen and a path or image
        # for the needle.
        haystack = Image.open(screen).convert("RGB")
        haystack.load()
        needle = Image.open(anchor).convert("RGB")
        needle.load()
        times, box, note = [], None, ""
        for _ in range(runs):
            t = time.perf_counter()
            box, note = pyscreeze_once(needle, haystack)
            times.append((time.perf_counter() - t) * 1000)
        hay_bgr = numpy.array(haystack)[:, :, ::-1].copy()
        needle_bgr = numpy.array(needle)[:, :, ::-1].copy()
        # The same call on BGR arrays converted beforehand: matchTemplate and the scan alone.
        arr_times = []
        for _ in range(runs):
            t = time.perf_counter()
            pyscreeze_once(needle_bgr, hay_bgr)
            arr_times.append((time.perf_counter() - t) * 1000)
        ms_times, ms = [], None
        for _ in range(runs):
            t = time.perf_counter()
            ms = multiscale_once(needle_bgr, hay_bgr)
            ms_times.append((time.perf_counter() - t) * 1000)
        found = "-" if box is None else f"({box[0]},{box[1]})"
        mbox, mscore, mscale = ms
        mfound = "-" if mbox is None else f"({mbox[0]},{mbox[1]})"
        print(f"{case}\t{statistics.median(times):.1f}\t{pct(times, 0.9):.1f}\t{found}\t"
              f"{'yes' if right_place(box, exp) else 'no'}\t{note}\t"
              f"{statistics.median(arr_times):.1f}\t{pct(arr_times, 0.9):.1f}\t"
              f"{statistics.median(ms_times):.1f}\t{pct(ms_times, 0.9):.1f}\t{mfound}\t"
              f"{mscore:.3f}\t{mscale:.2f}\t{'yes' if right_place(mbox, exp) else 'no'}")


if __name__ == "__main__":
    main()
