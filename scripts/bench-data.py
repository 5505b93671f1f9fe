#!/usr/bin/env python3
"""Prints an importReports request for N events, the shape the read-engine benchmark uses:
each event has 2 participants, is reported by 3 outlets and denied by 1 organisation.
Deterministic: the same N gives the same bytes.

    python3 scripts/bench-data.py 50 | curl -H 'content-type: application/json' --data-binary @- URL
"""
import json
import sys

OUTLETS = ["outlet-a", "outlet-b", "outlet-c"]
DENIER = "ministry"


def organisations():
    orgs = [{"key": k, "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET",
             "name": f"Outlet {k[-1].upper()}"} for k in OUTLETS]
    orgs.append({"key": DENIER, "type": "ORGANIZATION", "organizationKind": "GOVERNMENT_BODY",
                 "name": "A ministry"})
    return orgs


def reports(n):
    out = []
    for i in range(n):
        event = f"event-{i:04d}"
        people = [f"person-{i:04d}-{side}" for side in "ab"]
        claims = [{"key": f"{event}-occurred", "statement": f"Meeting {i} took place",
                   "subject": event, "attribute": "occurred"}]
        claims += [{"key": f"{event}-{p}", "statement": f"{p} attended meeting {i}",
                    "subject": event, "attribute": "participant", "value": {"entity": p}}
                   for p in people]
        entities = [{"key": event, "type": "EVENT", "name": f"Meeting {i:04d}"}]
        entities += [{"key": p, "type": "PERSON", "name": f"Person {i:04d} {p[-1].upper()}"}
                     for p in people]
        if i == 0:
            entities += organisations()
        for o, outlet in enumerate(OUTLETS):
            report = {"key": f"{event}-{outlet}", "title": f"Meeting {i} by {outlet}",
                      "kind": "ARTICLE", "publisher": outlet, "publishedAt": "2024-11-12",
                      "assertions": [{"claim": c["key"], "stance": "ASSERTS"} for c in claims]}
            if o == 0:
                report["entities"] = entities
                report["claims"] = claims
            out.append(report)
        out.append({"key": f"{event}-denial", "title": f"Denial of meeting {i}",
                    "kind": "OFFICIAL_STATEMENT", "publisher": DENIER, "publishedAt": "2024-11-13",
                    "assertions": [{"claim": f"{event}-occurred", "stance": "DENIES"}]})
    return out


if __name__ == "__main__":
    n = int(sys.argv[1])
    query = ("mutation($inputs: [ReportInput!]!) "
             "{ importReports(inputs: $inputs) { createdCount } }")
    print(json.dumps({"query": query, "variables": {"inputs": reports(n)}}))
