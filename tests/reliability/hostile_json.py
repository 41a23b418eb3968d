#!/usr/bin/python3
# hostile_json.py INGEST PEAK_RSS - ingest against hostile JSON (issue 8): 100k-deep nesting, a
# 50 MB string, 400-digit numbers, 10 KB album ids, a million distinct cities. Each
# gives what spec/trace-format.md and ingest/records.h say (a malformed-document error
# naming byte and line, or a counted reject with its reason), and ingest's peak RSS
# (measured by the small peak_rss.c: a child of this Python process would count
# Python's own memory) stays under a generous bound. The inputs are
# generated here, into a temporary folder, not committed.
import os
import re
import subprocess
import sys
import tempfile

ingest = os.path.realpath(sys.argv[1])
peak_rss = os.path.realpath(sys.argv[2])
# Sanitizer builds carry shadow memory and quarantine: allow them more.
slack = 3.0 if os.environ.get("TG_SANITIZED") == "1" else 1.0
# ingest's --mem: its budget, half of it the row buffer allocated up front (meson's
# MALLOC_PERTURB_ touches all of it); every bound below is this plus what the input may
# cost on top.
MEM = 32
failed = []


def run(name, text_or_writer, expect_rc, expect, rss_mb):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        if callable(text_or_writer):
            text_or_writer(f)
        else:
            f.write(text_or_writer)
    size = os.path.getsize(path)
    out = os.path.join(tmp, name + ".h5")
    rss = os.path.join(tmp, "rss")
    p = subprocess.run([peak_rss, rss, ingest, path, "-o", out, "--force", "--mem", "%dM" % MEM], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace")
    with open(rss) as f:
        peak = int(f.read()) / 1024.0  # KiB -> MiB
    bound = (MEM + rss_mb) * slack
    problems = []
    if p.returncode != expect_rc:
        problems.append("exit %d, expected %d" % (p.returncode, expect_rc))
    for pattern in expect:
        if not re.search(pattern, err):
            problems.append("no /%s/ in its messages" % pattern)
    if peak > bound:
        problems.append("peak RSS %.0f MiB over the bound %.0f MiB" % (peak, bound))
    verdict = "FAIL" if problems else "ok"
    print("%s: %s (%.1f MB input): exit %d, peak RSS %.1f MiB (bound %.0f)%s" % (
        verdict, name, size / 1e6, p.returncode, peak, bound, "; " + "; ".join(problems) if problems else ""))
    if problems:
        print("  messages: " + err[-600:].replace("\n", "\n  "))
        failed.append(name)
    os.unlink(path)
    for f in (out, os.path.join(tmp, name + ".rejects.jsonl")):
        if os.path.exists(f):
            os.unlink(f)


ALBUM = '{"album_id": 1, "release_date": "2016-10-28", "genres": ["Pop"]}\n'


def trace(album_id="1", city='"Paris"', nusers="1"):
    return '{"album_id": %s, "date": "2016-11-01", "loc_city": %s, "nusers": %s}\n' % (album_id, city, nusers)


with tempfile.TemporaryDirectory(prefix="tg-hostile-json-") as tmp:
    # Nesting deeper than TG_REC_MAX_DEPTH (1024) is a malformed document: an error
    # naming the byte and line, found long before 100k levels are held.
    run("deep-array", "[" * 100000 + "]" * 100000, 1, [r"byte \d+, line 1", r"nest"], 40)
    run("deep-object", ALBUM + '{"x": ' * 100000 + "1" + "}" * 100000 + "\n", 1,
        [r"byte \d+, line 2", r"nest"], 40)
    run("deep-in-record", '{"album_id": 1, "release_date": "2016-10-28", "deep": ' + "[" * 100000
        + "]" * 100000 + "}\n", 1, [r"line 1", r"nest"], 40)

    # A 50 MB string: a city over TG_REC_MAX_STR is a counted reject (too_long); so is
    # one as an unknown key's value (ignored, counted as an unknown key). yajl holds a
    # string token that spans its input chunks whole while it reads it, so memory is
    # bounded by the longest string (about twice it, as yajl's buffer doubles), not by
    # the input: ingest/README.md says so.
    big = "x" * (50 * 1000 * 1000)
    run("50MB-city", lambda f: (f.write(ALBUM), f.write(trace(city='"%s"' % big))), 0,
        [r"rejected\.too_long +1\b", r"records +2\b"], 150)
    run("50MB-unknown-value", lambda f: f.write('{"album_id": 1, "release_date": "2016-10-28", "note": "%s"}\n'
                                                % big), 0, [r"album_records +1\b", r"unknown_keys +1\b"], 150)
    run("50MB-key", lambda f: f.write('{"album_id": 1, "release_date": "2016-10-28", "%s": 1}\n' % big), 0,
        [r"album_records +1\b", r"unknown_keys +1\b"], 150)
    del big

    # 400-digit numbers: a count over 2^32-1 (count_overflow), a 400-digit album id (an
    # id: the spec sets no length), a 400-digit float as a count (not_integer).
    run("400-digits", ALBUM + trace(nusers="9" * 400) + trace(album_id="7" * 400)
        + trace(nusers="1." + "5" * 400) + trace(nusers="1e400"), 0,
        [r"rejected\.count_overflow +1\b", r"trace_records +1\b", r"rejected\.not_integer +2\b",
         r"records +5\b"], 40)

    # 10 KB album ids, as a string and as digits, in album and trace records: ids. Past
    # TG_REC_MAX_STR (1 MiB), as a string and as digits: too_long.
    huge = 2 * 1024 * 1024
    run("long-ids", '{"album_id": "%s", "release_date": "2016-10-28"}\n' % ("a" * 10240)
        + '{"album_id": %s, "release_date": "2016-10-28"}\n' % ("1" * 10240)
        + ALBUM + trace(album_id='"%s"' % ("b" * 10240))
        + '{"album_id": "%s", "release_date": "2016-10-28"}\n' % ("c" * huge)
        + trace(album_id="2" * huge), 0,
        [r"album_records +3\b", r"trace_records +1\b", r"rejected\.too_long +2\b"], 60)

    # A million distinct cities on one album: all kept (cities are data), memory grows
    # with the city dictionary as DESIGN.md allows (about 100 B a city), not with more.
    def million(f):
        f.write(ALBUM)
        f.writelines(trace(city='"city %07d"' % i) for i in range(1000000))
    run("million-cities", million, 0, [r"cities +1000000\b", r"trace_records +1000000\b"], 200)

if failed:
    print("FAILED: " + ", ".join(failed))
    sys.exit(1)
print("ok")
