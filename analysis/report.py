#!/usr/bin/python3
"""Tables and figures of cimsweep results in the shape of the seed paper, in one folder.

usage: /usr/bin/python3 analysis/report.py RESULTS.h5 [MORE.h5...] -o DIR
           [--method M] [--align A] [--labels A,B,...] [--formats png,svg,pdf]

RESULTS.h5 is the main run. MORE.h5 are runs of the same model with other crossbar sizes
(xbar.rows/cols) or with xbar.mapping = "origin", for Table 4 and the Pareto overlay.

Writes into DIR:
  report.md, report.tex     everything below (Markdown; a LaTeX fragment using booktabs and
                            graphicx)
  table2.md / .tex          ours vs HAP at the same weight size (main run)
  table3.md / .tex          CR -> top-1, energy total / ADC / accumulation / other (main run)
  table4.md / .tex          utilization origin / packed / aligned per crossbar size (all runs)
  pareto_energy.*, pareto_latency.*   fronts; the packed-mapping runs overlaid
  energy_breakdown.*        Table 3 as stacked bars
  utilization.*             Table 4 as a figure
--method / --align choose the grid of Tables 3 and 4 (default: the first method, align "down"
if swept). Exit status: 0 written, 2 bad usage or an input that is not a cimsweep results file.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cimsweep_results as cr  # noqa: E402

PROG = "report.py"


def warn(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)


def sources_md(results):
    out = ["| file | run | candidates | model, data, hardware |", "|---|---|---:|---|"]
    for r in results:
        out.append("| %s | %s | %d of %d | %s |" % (r.path, r.run_id[:12], len(r.rows), r.total,
                                                 r.describe()))
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="RESULTS.h5")
    ap.add_argument("-o", "--outdir", required=True, help="output folder (created)")
    ap.add_argument("--method", help="sensitivity method of Tables 3 and 4")
    ap.add_argument("--align", help="alignment mode of Tables 3 and 4")
    ap.add_argument("--labels", help="comma-separated names of the files in the figures")
    ap.add_argument("--formats", default="png,svg,pdf", help="image formats [png,svg,pdf]")
    a = ap.parse_args(argv)
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    if not formats or any(f not in ("png", "svg", "pdf") for f in formats):
        ap.error("--formats: png, svg and/or pdf (got %s)" % a.formats)
    try:
        results = cr.load_all(a.files, a.labels.split(",") if a.labels else None)
        main_run = results[0]
        sel = main_run.primary(a.method, a.align)
    except cr.ResultsError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    for r in results:
        if len(r.rows) < r.total:
            warn("%s: %d of %d candidates done; reporting those" % (r.path, len(r.rows), r.total))
    try:
        os.makedirs(a.outdir, exist_ok=True)
    except OSError as e:
        print("%s: cannot create %s: %s" % (PROG, a.outdir, e), file=sys.stderr)
        return 2
    import cimsweep_plots as plots

    t2 = cr.table2(main_run)
    if t2 is None:
        warn("%s: no HAP rows (sweep.hap.ratios); no Table 2" % main_run.path)
    t3 = cr.table3(main_run, sel)
    t4 = cr.table4(results, sel, warn)
    tables = [t for t in (t2, t3, t4) if t is not None]
    written = []
    for t in tables:
        for ext, render in (("md", cr.markdown), ("tex", cr.latex)):
            p = os.path.join(a.outdir, "%s.%s" % (t["name"], ext))
            with open(p, "w", encoding="utf-8") as f:
                f.write(render(t))
            written.append(p)

    figs = []   # (stem, caption)
    packed = [r for r in results if r.xbar()[2] == "packed"] or results[:1]
    for by_latency, stem, what in ((False, "pareto_energy", "energy"), (True, "pareto_latency", "latency")):
        written += plots.save(plots.pareto_figure(packed, by_latency=by_latency), a.outdir, stem, formats)
        figs.append((stem, "Top-1 accuracy vs %s per image; the Pareto front as a step line." % what))
    if t3 is not None:
        written += plots.save(plots.energy_figure(main_run, sel), a.outdir, "energy_breakdown", formats)
        figs.append(("energy_breakdown", "Energy per image by part per compression ratio (Table 3)."))
    fig = plots.util_figure(t4)
    if fig is not None:
        written += plots.save(fig, a.outdir, "utilization", formats)
        figs.append(("utilization", "Crossbar utilization per crossbar size (Table 4)."))

    img = "png" if "png" in formats else formats[0]
    md = ["# cimsweep report", "", sources_md(results)]
    md += [cr.markdown(t) for t in tables]
    md += ["## Figures", ""]
    md += ["![%s](%s.%s)  \n*%s*\n" % (stem, stem, img, cap) for stem, cap in figs]
    p = os.path.join(a.outdir, "report.md")
    with open(p, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    written.append(p)
    tex = ["% cimsweep report: \\input{report.tex} (needs \\usepackage{booktabs,graphicx})", ""]
    tex += [cr.latex(t) for t in tables]
    figext = "pdf" if "pdf" in formats else img
    for stem, cap in figs:
        tex += ["\\begin{figure}[t]", "\\centering",
                "\\includegraphics[width=\\linewidth]{%s.%s}" % (stem, figext),
                "\\caption{%s}" % cr.tex_escape(cap), "\\label{fig:%s}" % stem.replace("_", "-"),
                "\\end{figure}", ""]
    p = os.path.join(a.outdir, "report.tex")
    with open(p, "w", encoding="utf-8") as f:
        f.write("\n".join(tex))
    written.append(p)
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
