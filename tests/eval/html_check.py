#!/usr/bin/python3
"""html_check.py - eval's HTML report is well-formed (a strict XML parser accepts it),
self-contained, and holds its sections in order with exactly one chart (svg) in each
chart section and none elsewhere, except the training history: exactly two charts (loss;
test MAP) when a model.h5 is read, none and a note otherwise. The history charts draw
only finite points inside their frames, break their lines at a missing value, and mark
a lone epoch with points.
Usage: html_check.py path/to/eval path/to/write_predictions path/to/write_model"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
# eval/html.h: EVAL_HTML_SECTIONS and EVAL_HTML_CHARTS
SECTIONS = ["summary", "history", "ap", "threshold", "confusion", "support", "genres"]
CHARTS = {"ap", "threshold", "confusion", "support"}
HISTORY_CHARTS = 2

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def text_of(el):
    return "".join(el.itertext())


def numbers(el):
    """Every number in el's geometry attributes, for the finite check."""
    out = []
    for attr in ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "points"):
        v = el.get(attr)
        if v is not None:
            out += [float(t) for t in re.split(r"[ ,]+", v.strip())]
    return out


def check_history(section, name, epochs, segments):
    """The two history charts: axes labelled, every coordinate finite and inside the
    frame; segments[k] polylines in chart k (a line per run of recorded values)."""
    svgs = section.findall(f"{SVG}svg")
    check(len(svgs) == HISTORY_CHARTS, f"{name}: history has {len(svgs)} charts")
    if len(svgs) != HISTORY_CHARTS:
        return
    check(section.get("class") == "chart", f"{name}: history section class")
    labels = [["epoch", "loss (binary cross-entropy)", "Train loss", "Test loss"],
              ["epoch", "test MAP", "Test MAP", "best: "]]
    for k, svg in enumerate(svgs):
        texts = [text_of(t) for t in svg.iter(f"{SVG}text")]
        for want in labels[k]:
            check(any(want in t for t in texts), f"{name}: chart {k} lacks label {want!r}: {texts}")
        frame = svg.find(f"{SVG}rect")
        x0, y0 = float(frame.get("x")), float(frame.get("y"))
        x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
        for el in svg.iter():
            for v in numbers(el):
                check(v == v and abs(v) != float("inf"), f"{name}: chart {k} <{el.tag}> has {v}")
        lines = svg.findall(f"{SVG}polyline")
        check(len(lines) == segments[k], f"{name}: chart {k} has {len(lines)} lines, expected {segments[k]}")
        for line in lines:
            pts = numbers(line)
            for x, y in zip(pts[0::2], pts[1::2]):
                check(x0 <= x <= x1 and y0 <= y <= y1, f"{name}: chart {k} point {x},{y} outside the frame")
        # Data markers: those inside the frame (the legend's are right of it).
        marks = [el for el in svg.iter() if el.tag in (SVG + "circle", SVG + "rect") and el is not frame
                 and x0 <= float(el.get("cx", el.get("x", "0"))) <= x1]
        check(len(marks) >= 1, f"{name}: chart {k} marks no point")
        if epochs == 1:
            check(len(lines) == 0 and len(marks) >= 1, f"{name}: a lone epoch is drawn as points")
    ticks = [text_of(t) for t in svgs[0].iter(f"{SVG}text") if text_of(t).isdigit()]
    check("1" in ticks, f"{name}: the first epoch is not labelled: {ticks}")


def check_page(path, name, expect_history, expect_thresholds, epochs=0, segments=None):
    tree = ET.parse(path)  # raises on anything that is not well-formed
    root = tree.getroot()
    check(root.tag == XHTML + "html", f"{name}: root is {root.tag}")
    sections = root.findall(f".//{XHTML}section")
    ids = [s.get("id") for s in sections]
    check(ids == SECTIONS, f"{name}: sections {ids}")
    for s in sections:
        svgs = s.findall(f".//{SVG}svg")
        if s.get("id") == "history":
            want = HISTORY_CHARTS if epochs > 0 else 0
        else:
            want = 1 if s.get("id") in CHARTS else 0
        check(len(svgs) == want, f"{name}: section {s.get('id')} has {len(svgs)} svg, expected {want}")
        check((s.get("class") == "chart") == (want >= 1), f"{name}: section {s.get('id')} class")
    all_svgs = len(root.findall(f".//{SVG}svg"))
    check(all_svgs == len(CHARTS) + (HISTORY_CHARTS if epochs > 0 else 0),
          f"{name}: {all_svgs} svg in all: one outside the sections?")
    # Self-contained: nothing loaded from elsewhere.
    for el in root.iter():
        for attr in ("src", "href", "{http://www.w3.org/1999/xlink}href"):
            check(attr not in el.attrib, f"{name}: <{el.tag}> has {attr}")
        check(el.tag not in (XHTML + "script", XHTML + "link", XHTML + "img", XHTML + "iframe"),
              f"{name}: <{el.tag}>")
    by_id = {s.get("id"): s for s in sections}
    ap = text_of(by_id["ap"])
    check("undefined (no album has this genre)" in ap, f"{name}: undefined AP not shown")
    check("MAP 0." in ap, f"{name}: MAP not in the AP chart")
    check("Rock & <Roll>" in ap, f"{name}: genre name not escaped and restored")
    check("Opéra" in ap, f"{name}: non-ASCII genre name")
    check(expect_history in text_of(by_id["history"]), f"{name}: history says {text_of(by_id['history'])!r}")
    if epochs > 0:
        check_history(by_id["history"], name, epochs, segments)
    check(f"{expect_thresholds} thresholds" in text_of(by_id["threshold"]), f"{name}: sweep size")
    # One tile title per genre in the heatmaps, one row per genre in the table.
    rows = by_id["genres"].findall(f".//{XHTML}tr")
    check(len(rows) == 1 + 8, f"{name}: {len(rows)} table rows")
    titles = by_id["confusion"].findall(f".//{SVG}title")
    check(len(titles) == 8, f"{name}: {len(titles)} heatmap titles")


def main():
    eval_exe, writer, model_writer = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory(prefix="tg-eval-html-") as d:
        subprocess.run([writer, d], check=True)
        h5 = os.path.join(d, "predictions.h5")
        page = os.path.join(d, "report.html")
        # The file names model.h5, which is not there yet: a note, no chart.
        subprocess.run([eval_exe, h5, "--html", page, "-q"], check=True, stdout=subprocess.DEVNULL)
        check_page(page, "h5", "names the model model.h5, which is not there", 51)
        # --model with 25 epochs, epoch 3 without test values: train loss one line,
        # test loss and MAP two each.
        model = os.path.join(d, "m25.h5")
        subprocess.run([model_writer, model, "25"], check=True)
        subprocess.run([eval_exe, h5, "--model", model, "--html", page, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        check_page(page, "model", "25 epochs recorded in", 51, epochs=25, segments=[3, 2])
        # model.h5 beside predictions.h5, found by the name the file gives; one epoch.
        subprocess.run([model_writer, os.path.join(d, "model.h5"), "1"], check=True)
        subprocess.run([eval_exe, h5, "--html", page, "-q"], check=True, stdout=subprocess.DEVNULL)
        check_page(page, "one-epoch", "1 epoch recorded in", 51, epochs=1, segments=[0, 0])
        # CSV input, an explicit sweep, no model: the history section says why it is empty.
        subprocess.run([eval_exe, os.path.join(d, "test_labels.csv"), os.path.join(d, "test_scores.csv"),
                        "--sweep", "0.1:0.9:0.1", "--html", page, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        check_page(page, "csv", "No model file given", 9)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("HTML report checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
