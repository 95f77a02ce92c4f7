#!/usr/bin/env python3
"""Compare a dxmap index on LSOA 2021 with GMCA's DERI v1.6 (LSOA 2011).

In: a dxmap CSV export (`dxmap export csv`) of a dataset scored with a
methodology (columns code, name, index, c_<component>, i_<indicator>), the
methodology TOML it was scored with, DERI v1.6 national scores and the ONS
LSOA 2011 -> 2021 best-fit lookup (../shared/data).
Out (standard output, Markdown): areas compared, Spearman rho of the index
against the DERI score and of each component against DERI's, the top-decile
overlap, the 20 areas whose rank moves most with the component that moved
them, and how many areas fall below a coverage threshold.

Matching: each 2011 LSOA goes to its best-fit 2021 LSOA. A 2021 LSOA that
several 2011 LSOAs merged into takes the mean of their DERI values; one that
no 2011 LSOA goes to (a split's other parts) has no DERI value and is left
out. Ranks are of the compared areas only (ties share their mean rank).

Coverage: the share of index weight present for an area is the sum over
components of (component weight / all component weights) x (weights of its
indicators with a score / its indicator weights). With --min-coverage, areas
below it are counted as "insufficient data" and their missing inputs
tallied; an export that already carries an `insufficient` or `coverage`
column is not needed for this, the rule is recomputed from i_* columns.

Usage: python3 scripts/compare-deri.py EXPORT.csv METHOD.toml [--data DIR]
       [--min-coverage 0.75] [--top 20]
Standard library only.
"""

import argparse
import csv
import math
import os
import sys
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
DERI_COMPONENTS = {
    "demography": "demography_comp_national",
    "broadband": "broadband_comp_national",
    "deprivation": "deprivation_comp_national",
}


def num(s):
    try:
        x = float(s)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def ranks(values):
    """1-based ranks, ascending, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / math.sqrt(va * vb) if va and vb else float("nan")


def read_deri(data):
    """2021 code -> {score, components}, averaged over merged 2011 LSOAs."""
    with open(os.path.join(data, "lookups", "ew_lsoa11_to_lsoa21_lad22_bestfit.csv"),
              encoding="utf-8") as fh:
        to21 = {r["LSOA11CD"]: r["LSOA21CD"] for r in csv.DictReader(fh)}
    sums = {}
    with open(os.path.join(data, "deri", "gb_lsoa11_deri_v1.6_national.csv"),
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            c21 = to21.get(r["LSOA11CD"])
            vals = [num(r["deri_score_national"])] + [num(r[c]) for c in DERI_COMPONENTS.values()]
            if c21 is None or any(v is None for v in vals):
                continue
            acc = sums.setdefault(c21, [0, [0.0] * len(vals)])
            acc[0] += 1
            acc[1] = [s + v for s, v in zip(acc[1], vals)]
    out = {}
    for c21, (n, s) in sums.items():
        out[c21] = {"score": s[0] / n, "n11": n}
        for k, v in zip(DERI_COMPONENTS, s[1:]):
            out[c21][k] = v / n
    return out


def coverage(row, method):
    total_w = sum(c["weight"] for c in method["component"]) or 1.0
    share, missing = 0.0, []
    for c in method["component"]:
        inds = c.get("indicator", [])
        wsum = sum(i["weight"] for i in inds) or 1.0
        present = 0.0
        for i in inds:
            if num(row.get("i_" + i["id"])) is not None:
                present += i["weight"]
            else:
                missing.append(i["id"])
        share += c["weight"] / total_w * present / wsum
    return share, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export")
    ap.add_argument("methodology")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--min-coverage", type=float, default=0.75)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    with open(args.methodology, "rb") as fh:
        method = tomllib.load(fh)
    with open(args.export, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    comps = [c["id"] for c in method["component"]]

    # Coverage rule, over every area of the export.
    below, tally = [], {}
    for r in rows:
        share, missing = coverage(r, method)
        if share < args.min_coverage:
            below.append(r["code"])
            key = ", ".join(missing)
            tally[key] = tally.get(key, 0) + 1
    by_nation = {}
    for c in below:
        by_nation[c[0]] = by_nation.get(c[0], 0) + 1
    print("## %s on %d areas\n" % (method.get("name", args.methodology), len(rows)))
    print("Coverage rule (share of index weight present >= %.2f): %d areas insufficient data %s"
          % (args.min_coverage, len(below),
             "(" + ", ".join("%s: %d" % kv for kv in sorted(by_nation.items())) + ")" if below else ""))
    for key, n in sorted(tally.items(), key=lambda kv: -kv[1])[:5]:
        print("  - %d areas missing: %s" % (n, key))
    print()

    deri = read_deri(args.data)
    pairs = []
    for r in rows:
        x = num(r.get("index"))
        d = deri.get(r["code"])
        if x is None or d is None:
            continue
        if coverage(r, method)[0] < args.min_coverage:
            continue
        pairs.append((r, x, d))
    n = len(pairs)
    if n < 10:
        sys.exit("compare-deri: only %d areas have both an index and a DERI score" % n)
    ours = [p[1] for p in pairs]
    theirs = [p[2]["score"] for p in pairs]
    print("Compared: %d LSOA 2021 areas with an index and a DERI v1.6 score "
          "(through the 2011->2021 best-fit lookup; %d take the mean of merged 2011 LSOAs)\n"
          % (n, sum(1 for p in pairs if p[2]["n11"] > 1)))
    print("| measure | value |\n|---|---|")
    print("| Spearman rho, index vs DERI v1.6 score | %.3f |" % spearman(ours, theirs))
    for c in comps:
        if c in DERI_COMPONENTS:
            vals = [(num(p[0].get("c_" + c)), p[2][c]) for p in pairs]
            vals = [v for v in vals if v[0] is not None]
            print("| Spearman rho, %s component vs DERI's | %.3f (%d areas) |"
                  % (c, spearman([v[0] for v in vals], [v[1] for v in vals]), len(vals)))
    k = max(1, round(n / 10))
    top_ours = {p[0]["code"] for p in sorted(pairs, key=lambda p: (-p[1], p[0]["code"]))[:k]}
    top_theirs = {p[0]["code"] for p in sorted(pairs, key=lambda p: (-p[2]["score"], p[0]["code"]))[:k]}
    both = len(top_ours & top_theirs)
    print("| top-decile overlap (top %d by each) | %.1f %% (%d of %d) |\n" % (k, 100 * both / k, both, k))

    # Percentile ranks (0 = lowest risk, 100 = highest) of the index and of
    # each component on both sides; the biggest component change explains a move.
    def pct(vals):
        rk = ranks(vals)
        return [100 * (x - 1) / (n - 1) for x in rk]
    p_ours, p_theirs = pct(ours), pct(theirs)
    comp_pct = {}
    for c in comps:
        if c in DERI_COMPONENTS:
            ov = [num(p[0].get("c_" + c)) for p in pairs]
            fill = [v if v is not None else -1.0 for v in ov]
            comp_pct[c] = (pct(fill), pct([p[2][c] for p in pairs]), ov)
    moves = sorted(range(n), key=lambda i: (-abs(p_ours[i] - p_theirs[i]), pairs[i][0]["code"]))
    print("Areas that move most (percentile of risk among the compared areas, 100 = highest):\n")
    print("| code | name | DERI v1.6 | new | reason (largest component change) |\n|---|---|---|---|---|")
    for i in moves[:args.top]:
        r = pairs[i][0]
        best = None
        for c, (po, pt, ov) in comp_pct.items():
            if ov[i] is None:
                why = "%s: no score (DERI %.0f)" % (c, pt[i])
                d = 100.0
            else:
                d = po[i] - pt[i]
                why = "%s %.0f -> %.0f" % (c, pt[i], po[i])
            if best is None or abs(d) > abs(best[0]):
                best = (d, why)
        print("| %s | %s | %.0f | %.0f | %s |"
              % (r["code"], r.get("name", ""), p_theirs[i], p_ours[i], best[1] if best else ""))
    print()


if __name__ == "__main__":
    main()
