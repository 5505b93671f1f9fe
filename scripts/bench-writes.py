#!/usr/bin/env python3
"""Imports one small report (its own outlet, person and birth date: no event, so that the
events a read benchmark lists stay the same) every 1/RATE seconds into a kg server for
SECONDS, so that a read benchmark can be run while writes land: each write changes the
graph's version, after which no kept answer is given again. Loopback only.
Prints how many reports were imported and refused; a refused one's answer goes to stderr.

    python3 scripts/bench-writes.py http://127.0.0.1:PORT/graphql RATE SECONDS PREFIX
"""
import json
import sys
import time
import urllib.request

MUTATION = "mutation($input: ReportInput!) { importReport(input: $input) { createdCount } }"


def report(key):
    return {
        "key": key, "title": f"Report {key}", "kind": "ARTICLE",
        "publisher": f"{key}-outlet", "publishedAt": "2024-12-01",
        "entities": [
            {"key": f"{key}-outlet", "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET",
             "name": f"Outlet {key}"},
            {"key": f"{key}-person", "type": "PERSON", "name": f"Person {key}"},
        ],
        "claims": [{"key": f"{key}-born", "statement": f"Person {key} was born in 1970",
                    "subject": f"{key}-person", "attribute": "birthDate",
                    "value": {"date": "1970-01-01"}}],
        "assertions": [{"claim": f"{key}-born", "stance": "ASSERTS"}],
    }


def main():
    url, rate, seconds, prefix = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    host = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "[::1]", "localhost"):
        sys.exit("bench-writes only writes to a loopback address")
    start, sent, refused = time.monotonic(), 0, 0
    while time.monotonic() - start < seconds:
        body = json.dumps({"query": MUTATION, "variables": {"input": report(f"{prefix}-{sent}")}})
        request = urllib.request.Request(url, body.encode(), {"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        if b'"errors"' in text:
            refused += 1
            print(f"report {prefix}-{sent} was refused: {text[:300]!r}", file=sys.stderr)
        sent += 1
        time.sleep(max(0.0, start + sent / rate - time.monotonic()))
    print(f"{sent - refused} imported, {refused} refused")


if __name__ == "__main__":
    main()
