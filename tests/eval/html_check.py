#!/usr/bin/python3
"""html_check.py - eval's HTML report is well-formed (a strict XML parser accepts it),
self-contained, and holds its sections in order with exactly one chart (svg) in each
chart section and none elsewhere. Usage: html_check.py path/to/eval path/to/write_predictions"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
# eval/html.h: EVAL_HTML_SECTIONS and EVAL_HTML_CHARTS
SECTIONS = ["summary", "history", "ap", "threshold", "confusion", "support", "genres"]
CHARTS = {"ap", "threshold", "confusion", "support"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def text_of(el):
    return "".join(el.itertext())


def check_page(path, name, expect_history, expect_thresholds):
    tree = ET.parse(path)  # raises on anything that is not well-formed
    root = tree.getroot()
    check(root.tag == XHTML + "html", f"{name}: root is {root.tag}")
    sections = root.findall(f".//{XHTML}section")
    ids = [s.get("id") for s in sections]
    check(ids == SECTIONS, f"{name}: sections {ids}")
    for s in sections:
        svgs = s.findall(f".//{SVG}svg")
        want = 1 if s.get("id") in CHARTS else 0
        check(len(svgs) == want, f"{name}: section {s.get('id')} has {len(svgs)} svg, expected {want}")
        check((s.get("class") == "chart") == (want == 1), f"{name}: section {s.get('id')} class")
    check(len(root.findall(f".//{SVG}svg")) == len(CHARTS), f"{name}: svg outside the sections")
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
    check(f"{expect_thresholds} thresholds" in text_of(by_id["threshold"]), f"{name}: sweep size")
    # One tile title per genre in the heatmaps, one row per genre in the table.
    rows = by_id["genres"].findall(f".//{XHTML}tr")
    check(len(rows) == 1 + 8, f"{name}: {len(rows)} table rows")
    titles = by_id["confusion"].findall(f".//{SVG}title")
    check(len(titles) == 8, f"{name}: {len(titles)} heatmap titles")


def main():
    eval_exe, writer = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="tg-eval-html-") as d:
        subprocess.run([writer, d], check=True)
        h5 = os.path.join(d, "predictions.h5")
        page = os.path.join(d, "report.html")
        # The file names model.h5: its history is not available yet.
        subprocess.run([eval_exe, h5, "--html", page, "-q"], check=True, stdout=subprocess.DEVNULL)
        check_page(page, "h5", "Model history is not available yet", 51)
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
