"""Paper ballots read by machine: how many sheets a second one core reads from an office scanner's PDF.

Standalone (no database, no server): builds a sheet (4 targets × 5 items × 5 grades, one A4 page),
fills N copies with simulated pen marks, "scans" them at 200 dpi (rotation up to ±5°, skew, noise,
JPEG) into one multi-page PDF as a scanner makes, then times the reading of that PDF the way the
background task reads it: rasterise each page (pypdfium2), find the markers, straighten, read the QR
code, measure every bubble. OpenCV is held to one thread, so the figure is per core.

    .venv/bin/python bench/paper_scan.py [--sheets 60] [--dpi 200] [--profile]
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=60)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()

    import django

    django.setup()
    import cv2
    import numpy as np
    from PIL import Image

    from paperballots import layout as L
    from paperballots import reader, simulate
    from paperballots.sheets import sheets_pdf

    cv2.setNumThreads(1)
    questions = [(t, f"处长{t}", [(t * 10 + i, f"第{i}项") for i in range(1, 6)]) for t in range(1, 5)]
    layout = L.layout_build(questions, [(g, f"等级{g}") for g in range(1, 6)])
    ids = [[L.SheetId(1, 1, "BENCH1", 1, f"B{k:07d}")] for k in range(args.sheets)]
    pdf = sheets_pdf(layout=layout, ids=ids, title="测评表", group="群众", promise="本表不记名。")
    rng = np.random.default_rng(1)
    scans, truth = [], []
    for k in range(args.sheets):
        intents = [simulate.intent_random(rng, 5) for _ in layout.questions(0)]
        img, _ = simulate.fill_page(simulate.rasterise(pdf, k, args.dpi), layout, 0, intents, args.dpi, rng)
        scans.append(Image.open(io.BytesIO(simulate.scan(img, rng))))
        truth.append(intents)
    buf = io.BytesIO()
    scans[0].save(buf, "PDF", save_all=True, append_images=scans[1:], resolution=args.dpi)
    scanned = buf.getvalue()

    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    read = doubtful = 0
    for img in reader.images_from_upload(scanned):
        page = reader.read_page(img)
        if page.reject:
            continue
        lines = reader.measure(page, layout, 0)
        for line in lines:
            if line.doubtful:
                reader.row_crop(page, layout.questions(0)[0])
                doubtful += 1
        read += 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if prof:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    print(
        f"paper_scan: {read}/{args.sheets} sheets read from a {len(scanned) / 1e6:.1f} MB scanner PDF at {args.dpi} dpi"
    )
    print(f"paper_scan: {doubtful} doubtful lines of {read * len(layout.questions(0))}")
    print(f"paper_scan: {cpu:.2f} s CPU, {wall:.2f} s wall")
    print(f"paper_scan: {read / cpu:.1f} sheets/second/core (target ≥ 5)")
    return 0 if read == args.sheets else 1


if __name__ == "__main__":
    sys.exit(main())
