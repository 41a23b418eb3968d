#!/usr/bin/env python3
"""readme_synopses.py README NAME=PROGRAM... - README.md's synopses against each
program's --help: every option --help lists is in the synopsis (the first code block
under "### NAME"), and every numeric default --help gives ("(default 50)") is shown
there ("--epochs 50") or in the section's option table ("| `--traces M` | 2348509 |").
The audit found ingest's synopsis without --split and -v, and train's without --seed's
default: the manual drifts from --help unless a test holds them together."""
import re
import subprocess
import sys

# help, version and the hidden test flag are not part of a synopsis
SKIP = {"-h", "--help", "--version", "--fake-stderr-is-console"}
OPTION = re.compile(r"(?:^|\s|,)(--?[a-z][a-z0-9-]*)")
DEFAULT = re.compile(r"(--[a-z][a-z0-9-]*)(?: [A-Z]+)?\s[^(]*?\(default ([0-9][0-9.eKMG-]*)[;:,)]")


def section(readme, name):
    m = re.search(r"^### %s\n(.*?)(?=^### |\Z)" % re.escape(name), readme, re.S | re.M)
    if m is None:
        raise SystemExit("FAIL: README has no section '### %s'" % name)
    return m.group(1)


def main():
    readme = open(sys.argv[1], encoding="utf-8").read()
    failures = []
    for arg in sys.argv[2:]:
        name, program = arg.split("=", 1)
        text = section(readme, name)
        block = re.search(r"```\n(.*?)```", text, re.S)
        synopsis = block.group(1) if block else ""
        usage = subprocess.run([program, "--help"], capture_output=True, text=True,
                               check=True).stdout
        option_lines = [l for l in usage.splitlines() if re.match(r"\s+-", l)]
        for line in option_lines:
            for opt in OPTION.findall(line):
                if opt in SKIP:
                    continue
                if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), synopsis):
                    failures.append("%s: %s (in --help) is not in README's synopsis" % (name, opt))
        for line in option_lines:
            for opt, value in DEFAULT.findall(line):
                shown = re.search(r"%s %s(?![\w.])" % (re.escape(opt), re.escape(value)), synopsis)
                tabled = re.search(r"\| `%s [A-Z]+` \| %s \|" % (re.escape(opt), re.escape(value)),
                                   text)
                if not shown and not tabled:
                    failures.append("%s: %s's default %s (in --help) is not in README's "
                                    "synopsis or table" % (name, opt, value))
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print("ok: %d synopses agree with --help" % (len(sys.argv) - 2))


main()
