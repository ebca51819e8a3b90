"""Figures of cimsweep results (matplotlib, Agg): Pareto fronts, the energy breakdown per CR
(seed Table 3 as a figure) and crossbar utilization per crossbar size (seed Table 4).
Used by pareto_plot.py and report.py; every function returns a matplotlib Figure and save()
writes it in the formats asked for (PNG, SVG, PDF)."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from cimsweep_results import ENERGY_UNITS, TIME_UNITS, pick_unit  # noqa: E402

METHOD_COLORS = {"hutchinson": "#1f77b4", "activation": "#ff7f0e", "magnitude": "#2ca02c",
                 "random": "#9467bd"}
HAP_COLOR = "#d62728"
HAP_MARKERS = ("X", "P", "*", "p", "h", "d")
FILE_MARKERS = ("o", "s", "^", "v", "D", "P")
FRONT_STYLES = ("-", "--", ":", "-.")
SIZE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
UTIL_STYLES = {"origin": (":", "s"), "packed": ("--", "^"), "aligned": ("-", "o")}

plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "legend.fontsize": 8.5,
                     "savefig.dpi": 150, "svg.fonttype": "none", "pdf.fonttype": 42})


def save(fig, outdir, stem, formats=("png", "svg", "pdf")):
    paths = []
    for ext in formats:
        p = os.path.join(outdir, "%s.%s" % (stem, ext))
        fig.savefig(p, bbox_inches="tight")
        paths.append(p)
    plt.close(fig)
    return paths


def _front_rows(res, by_latency):
    """Front rows by increasing cost: the file's /pareto (as `cimsweep pareto` wrote it), else
    computed the same way (cheapest first, a point is on it when it beats every cheaper one)."""
    cost = "latency_s" if by_latency else "energy_j"
    idx = res.front_latency if by_latency else res.front_energy
    if idx is not None and len(idx):
        rows = [res.row(int(i)) for i in idx]
    else:
        r = res.rows[np.isfinite(res.rows["top1"]) & np.isfinite(res.rows[cost])]
        r = r[np.lexsort((r["index"], -r["top1"], r[cost]))]
        rows, best = [], -np.inf
        for x in r:
            if x["top1"] > best:
                rows.append(x)
                best = x["top1"]
    return sorted(rows, key=lambda x: (x[cost], -x["top1"]))


def pareto_figure(results, by_latency=False, logx=False, title=None):
    """Top-1 against energy (or latency) per image: every candidate, one colour per sensitivity
    method, HAP as red crosses, the point each dynamic search chose circled, and the Pareto
    front as a step line; several results files overlay (one marker / line style each; HAP
    crosses, pluses, stars... in file order)."""
    cost = "latency_s" if by_latency else "energy_j"
    unit = pick_unit([float(v) for r in results for v in r.rows[cost]],
                     TIME_UNITS if by_latency else ENERGY_UNITS)
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    many = len(results) > 1
    handles = []
    xmax = max(float(np.nanmax(r.rows[cost])) for r in results) / unit[1]
    for fi, res in enumerate(results):
        rows = res.rows[np.isfinite(res.rows["top1"]) & np.isfinite(res.rows[cost])]
        marker = FILE_MARKERS[fi % len(FILE_MARKERS)]
        suffix = " – %s" % res.label if many else ""
        hap = rows["kind"] == res.kind_names.index("hap")
        for m in sorted(set(rows["method"][~hap].tolist())):
            name = res.method_names[m]
            sel = rows[(~hap) & (rows["method"] == m)]
            ax.scatter(sel[cost] / unit[1], sel["top1"], s=20, marker=marker, alpha=0.7,
                       color=METHOD_COLORS.get(name, "0.4"), edgecolors="none", zorder=3,
                       label="%s%s" % (name, suffix))
        if hap.any():
            ax.scatter(rows[hap][cost] / unit[1], rows[hap]["top1"], s=70,
                       marker=HAP_MARKERS[fi % len(HAP_MARKERS)],
                       color=HAP_COLOR, edgecolors="black", linewidths=0.5, zorder=4,
                       label="HAP (filter pruning)%s" % suffix)
        chosen = rows[(rows["kind"] == res.kind_names.index("dynamic")) & (rows["chosen"] == 1)]
        for r in chosen:
            ax.scatter([r[cost] / unit[1]], [r["top1"]], s=150, facecolors="none", zorder=5,
                       edgecolors=METHOD_COLORS.get(res.method(r), "0.4"), linewidths=1.5)
        front = _front_rows(res, by_latency)
        if front:
            x = [r[cost] / unit[1] for r in front] + [xmax]
            y = [r["top1"] for r in front] + [front[-1]["top1"]]
            ax.step(x, y, where="post", color="0.15", lw=1.3, zorder=2,
                    ls=FRONT_STYLES[fi % len(FRONT_STYLES)], label="Pareto front%s" % suffix)
    if any(((r.rows["kind"] == r.kind_names.index("dynamic")) & (r.rows["chosen"] == 1)).any()
           for r in results):
        handles.append(Line2D([], [], ls="none", marker="o", ms=11, mfc="none", mec="0.3",
                              mew=1.5, label="chosen by the dynamic search"))
    ax.set_xlabel("%s per image (%s)" % ("Latency" if by_latency else "Energy", unit[0]))
    ax.set_ylabel("Top-1 accuracy (%)")
    if logx:
        ax.set_xscale("log")
    ax.grid(True, alpha=0.3)
    if title is None:
        what = "latency" if by_latency else "energy"
        title = "Top-1 accuracy vs %s" % what
        if not many:
            title += "\n" + results[0].describe()
    ax.set_title(title)
    h, lab = ax.get_legend_handles_labels()
    ax.legend(h + handles, lab + [x.get_label() for x in handles], loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0, frameon=False)
    return fig


def energy_figure(res, sel, title=None):
    """Energy per image split into ADC, accumulation and other as stacked bars per CR of the
    grid (and the dynamic search's choice), with top-1 on the right axis."""
    g, dyn = res.grid(sel)
    rows = list(g) + ([dyn] if dyn is not None else [])
    unit = pick_unit([float(r["energy_j"]) for r in rows], ENERGY_UNITS)
    tau = len(g) and res.kind(g[0]) == "tau"
    labels = [("dyn.\n%.2f" % r["cr_actual"]) if res.kind(r) == "dynamic"
              else ("%g" % (r["tau"] if tau else r["cr_target"])) for r in rows]
    x = np.arange(len(rows))
    parts = (("energy_adc_j", "ADC", "#4c72b0"), ("energy_accum_j", "accumulation", "#dd8452"),
             ("energy_other_j", "other", "#55a868"))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.36 * len(rows) + 2.5), 4.4))
    bottom = np.zeros(len(rows))
    for field, name, color in parts:
        v = np.array([r[field] for r in rows]) / unit[1]
        ax.bar(x, v, 0.72, bottom=bottom, color=color, label=name, zorder=2)
        bottom += v
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=90 if len(rows) > 14 else 0,
                       fontsize=8 if len(rows) > 14 else 9)
    ax.set_xlabel("τ" if tau else "Compression ratio CR (share of strips at %d bit)" % sel[3])
    ax.set_ylabel("Energy per image (%s)" % unit[0])
    ax.grid(True, axis="y", alpha=0.3, zorder=0)
    ax2 = ax.twinx()
    ng = len(g)
    ax2.plot(x[:ng], [r["top1"] for r in rows[:ng]], "k-o", ms=4, lw=1.2, label="top-1 (right axis)")
    if dyn is not None:   # the dynamic search's choice is no point of the grid: no line to it
        ax2.plot([x[-1]], [dyn["top1"]], "ko", ms=4)
        ax.axvline(x[-1] - 0.5, color="0.5", lw=0.8, ls=":")
    ax2.set_ylabel("Top-1 accuracy (%)")
    lo = min(r["top1"] for r in rows)
    ax2.set_ylim(max(0.0, lo - 0.25 * (100 - lo) - 2), 100)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4,
              frameon=False)
    ax.set_title(title or "Energy breakdown per image (%s)" % res.sel_name(sel), pad=26)
    return fig


def util_figure(t4, title=None):
    """Table 4 as a figure: utilization against CR, one colour per crossbar size, one line
    style per mapping stage (origin, packed, aligned); the dynamic search's choice as bars."""
    series = t4["series"]
    if not series:
        return None
    sizes = sorted({(k[0], k[1]) for k in series}, key=lambda s: -s[0] * s[1])
    has_dyn = any(p[0].startswith("dynamic") for v in series.values() for p in v)
    fig, axes = plt.subplots(1, 2 if has_dyn else 1, figsize=(9.6 if has_dyn else 6.4, 4.2),
                             gridspec_kw={"width_ratios": [2.2, 1]} if has_dyn else None,
                             squeeze=False)
    ax = axes[0][0]
    for si, s in enumerate(sizes):
        color = SIZE_COLORS[si % len(SIZE_COLORS)]
        for what in ("origin", "packed", "aligned"):
            pts = [p for p in series.get((s[0], s[1], what), []) if not p[0].startswith("dynamic")]
            if not pts:
                continue
            ls, mk = UTIL_STYLES[what]
            ax.plot([p[1] for p in pts], [p[2] for p in pts], ls=ls, marker=mk, ms=4, color=color,
                    label="%dx%d %s" % (s[0], s[1], what))
    ax.set_xlabel("Compression ratio CR (target)")
    ax.set_ylabel("Crossbar utilization (%)")
    ax.set_ylim(0, None)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=3, frameon=False)
    if has_dyn:
        bx = axes[0][1]
        w = 0.26
        for wi, what in enumerate(("origin", "packed", "aligned")):
            xs, vs = [], []
            for si, s in enumerate(sizes):
                d = [p for p in series.get((s[0], s[1], what), []) if p[0].startswith("dynamic")]
                if d:
                    xs.append(si + (wi - 1) * w)
                    vs.append(d[0][2])
            if xs:
                bx.bar(xs, vs, w, color=("0.75", "0.5", "0.2")[wi], label=what, zorder=2)
        bx.set_xlim(-0.6, len(sizes) - 0.4)
        bx.set_xticks(range(len(sizes)))
        bx.set_xticklabels(["%dx%d" % s for s in sizes])
        bx.set_xlabel("Crossbar size")
        bx.set_ylabel("Utilization (%)")
        bx.set_title("at the dynamic search's choice", fontsize=9.5)
        bx.grid(True, axis="y", alpha=0.3, zorder=0)
        bx.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=3, frameon=False)
    fig.suptitle(title or t4["title"].split(": ", 1)[1].capitalize(), fontsize=11)
    fig.tight_layout()
    return fig
