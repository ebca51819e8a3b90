#!/usr/bin/python3
"""Plot the accuracy/energy and accuracy/latency Pareto fronts of cimsweep results files.

usage: /usr/bin/python3 analysis/pareto_plot.py RESULTS.h5 [MORE.h5...] [-o DIR]
           [--labels A,B,...] [--formats png,svg,pdf] [--logx] [--title T]

Writes DIR/pareto_energy.{png,svg,pdf} and DIR/pareto_latency.{png,svg,pdf}: top-1 against
energy (latency) per image for every finished candidate, one colour per sensitivity method,
HAP as red crosses, the point each dynamic search chose circled, and the front (the file's
/pareto, as `cimsweep pareto` computes it) as a step line. Several files overlay, one marker
and front line style each (e.g. two crossbar sizes, or two models). Exit status: 0 written,
2 bad usage or an input that is not a cimsweep results file.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimsweep_results import ResultsError, load_all  # noqa: E402

PROG = "pareto_plot.py"


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="RESULTS.h5")
    ap.add_argument("-o", "--outdir", default=".", help="output folder [.]")
    ap.add_argument("--labels", help="comma-separated legend names, one per file")
    ap.add_argument("--formats", default="png,svg,pdf", help="image formats [png,svg,pdf]")
    ap.add_argument("--logx", action="store_true", help="logarithmic energy / latency axis")
    ap.add_argument("--title", help="title of both figures")
    a = ap.parse_args(argv)
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        ap.error("--formats: png, svg and/or pdf (got %s)" % a.formats)
    try:
        results = load_all(a.files, a.labels.split(",") if a.labels else None)
    except ResultsError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    for r in results:
        if len(r.rows) < r.total:
            print("%s: %s: %d of %d candidates done; plotting those" % (PROG, r.path, len(r.rows), r.total),
                  file=sys.stderr)
    try:
        os.makedirs(a.outdir, exist_ok=True)
    except OSError as e:
        print("%s: cannot create %s: %s" % (PROG, a.outdir, e), file=sys.stderr)
        return 2
    import cimsweep_plots as plots
    for by_latency, stem in ((False, "pareto_energy"), (True, "pareto_latency")):
        fig = plots.pareto_figure(results, by_latency=by_latency, logx=a.logx, title=a.title)
        for p in plots.save(fig, a.outdir, stem, formats):
            print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
