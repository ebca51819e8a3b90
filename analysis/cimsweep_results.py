"""Reading cimsweep results files (HDF5, written by `cimsweep sweep` / `cimsweep merge`) and
the selections and tables of the seed paper built from them.

Used by pareto_plot.py and report.py; runs with Debian's Python (/usr/bin/python3: h5py,
numpy). Layout of a results file: src/io/results_file.h. Percentages are 0-100, energies in J,
latencies in s.

The tables (shapes of the seed's Tables 2-4):
  table2  ours vs HAP at the same model size: for every HAP row, and every sensitivity method,
          the candidate of that method whose weight size (size_ratio, bits relative to all
          8-bit) is the largest not above HAP's (else the smallest above it).
  table3  CR -> top-1 and energy per image split into ADC, accumulation and other, for the CR
          (or tau) grid of one method / alignment / bit pair, plus the point the dynamic search
          chose.
  table4  crossbar utilization per crossbar size: origin (util_before_align of a file mapped
          with xbar.mapping = "origin"), packed (util_before_align of a "packed" file) and
          aligned (util_all of the packed file, after alignment E9), per CR of the grid and at
          the dynamic search's choice. Needs one results file per crossbar size and mapping.
Every row carries the candidate index (#), so each number can be traced to /sweep/candidates.
"""
import math
import os
import re

import h5py
import numpy as np

FORMAT = "cimsweep-results"
NEEDED = ("index", "kind", "method", "align", "bits_high", "bits_low", "step", "chosen",
          "status", "tau", "cr_target", "cr_actual", "size_ratio", "top1", "top5", "energy_j",
          "energy_adc_j", "energy_accum_j", "energy_other_j", "latency_s", "util_all",
          "util_before_align")


class ResultsError(Exception):
    """A file that is not a usable cimsweep results file (the message names the file)."""


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "SU" and v.shape == ():
        return _text(v[()])
    return str(v)


def parse_config(text):
    """The canonical config text (`cimsweep info -c`, /config) as {"xbar.rows": "128", ...}:
    values are the literal text ("\"packed\"" keeps its quotes)."""
    out, stack = {}, []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^(\w+) = \{$", s)
        if m:
            stack.append(m.group(1))
            continue
        if s == "};" and stack:
            stack.pop()
            continue
        m = re.match(r"^(\w+) = (.*);$", s)
        if m:
            out[".".join(stack + [m.group(1)])] = m.group(2)
    return out


def _unquote(v, default=""):
    if v is None:
        return default
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v


class Results:
    """One results file: .rows (numpy structured array of /sweep/candidates, done rows only,
    sorted by index), names of kinds / methods / alignments, config values, Pareto indices."""

    def __init__(self, path, label=None):
        self.path = path
        if not os.path.exists(path):
            raise ResultsError("%s: no such file" % path)
        if os.path.isdir(path):
            raise ResultsError("%s: is a directory, not a results file" % path)
        try:
            ok = h5py.is_hdf5(path)
        except OSError as e:
            raise ResultsError("%s: cannot read: %s" % (path, e))
        if not ok:
            raise ResultsError("%s: not an HDF5 file (expected a cimsweep results file)" % path)
        try:
            with h5py.File(path, "r") as f:
                self._read(f)
        except ResultsError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise ResultsError("%s: not a complete cimsweep results file (%s)" % (path, e))
        self.label = label or self.default_label()

    def _read(self, f):
        fmt = _text(f.attrs.get("format", ""))
        if fmt != FORMAT:
            what = "a %s file" % fmt if fmt else "an HDF5 file without a format attribute"
            raise ResultsError("%s: %s, not a cimsweep results file (format=\"%s\")"
                               % (self.path, what, FORMAT))
        if "sweep/candidates" not in f:
            raise ResultsError("%s: no /sweep/candidates table" % self.path)
        ds = f["sweep/candidates"]
        names = ds.dtype.names or ()
        missing = [n for n in NEEDED if n not in names]
        if missing:
            raise ResultsError("%s: /sweep/candidates lacks the column(s) %s"
                               % (self.path, ", ".join(missing)))
        rows = ds[()]
        rows = rows[rows["status"] == 1]
        self.rows = np.sort(rows, order="index")
        self.kind_names = _text(ds.attrs.get("kind_names", "cr,tau,dynamic,hap")).split(",")
        self.method_names = _text(ds.attrs.get(
            "method_names", "hutchinson,activation,magnitude,random")).split(",")
        self.align_names = _text(ds.attrs.get("align_names", "none,down,nearest")).split(",")
        self.run_id = _text(f.attrs.get("run_id", ""))
        self.model_sha = _text(f.attrs.get("model_sha256", ""))
        self.total = int(f.attrs.get("candidates_total", len(self.rows)))
        text = bytes(f["config"][()]).decode("utf-8", "replace") if "config" in f else ""
        self.config = parse_config(text)
        self.front_energy = (np.asarray(f["pareto/index"][()], dtype=np.int64)
                             if "pareto/index" in f else None)
        self.front_latency = (np.asarray(f["pareto/latency_index"][()], dtype=np.int64)
                              if "pareto/latency_index" in f else None)

    # ---- config
    def cfg(self, key, default=""):
        return _unquote(self.config.get(key), default)

    def xbar(self):
        """(rows, cols, mapping) of the crossbar model."""
        return (int(self.cfg("xbar.rows", "128")), int(self.cfg("xbar.cols", "128")),
                self.cfg("xbar.mapping", "packed"))

    def default_label(self):
        r, c, m = self.xbar()
        arch = self.cfg("model.arch", "?")
        return "%s %dx%d %s" % (arch, r, c, m)

    def describe(self):
        """A line naming the model, data set and hardware of the run."""
        r, c, m = self.xbar()
        model = self.cfg("model.file") or "fresh %s" % self.cfg("model.arch", "?")
        return "%s (%s, width %s) on %s; %dx%d crossbars, %s mapping, %s-bit cells" % (
            os.path.basename(model), self.cfg("model.arch", "?"), self.cfg("model.width", "1"),
            self.cfg("data.kind", "?"), r, c, m, self.cfg("xbar.cell_bits", "2"))

    # ---- names
    def kind(self, row):
        return self.kind_names[int(row["kind"])]

    def method(self, row):
        return self.method_names[int(row["method"])]

    def align(self, row):
        return self.align_names[int(row["align"])]

    def name(self, row):
        """A candidate as the program names it, e.g. "cr 0.6 hutchinson down 8/4"."""
        k = self.kind(row)
        bits = "%d/%d" % (row["bits_high"], row["bits_low"])
        if k == "hap":
            return "HAP prune %g, %d-bit" % (row["cr_target"], row["bits_high"])
        if k == "dynamic":
            return "dynamic %s %s %s step %d%s" % (self.method(row), self.align(row), bits,
                                                   row["step"], " (chosen)" if row["chosen"] else "")
        return "%s %g %s %s %s" % (k, row["cr_target"], self.method(row), self.align(row), bits)

    def row(self, index):
        i = np.searchsorted(self.rows["index"], index)
        if i >= len(self.rows) or self.rows["index"][i] != index:
            raise KeyError(index)
        return self.rows[i]

    # ---- selections
    def is_hap(self):
        return self.rows["kind"] == self.kind_names.index("hap")

    def methods_present(self):
        """Sensitivity methods with non-HAP rows, in method order."""
        m = self.rows["method"][~self.is_hap()]
        return [self.method_names[i] for i in sorted(set(m.tolist()))]

    def primary(self, method=None, align=None):
        """(method, align, bits_high, bits_low) of the grid shown in Tables 3 and 4: the given
        method (default: the first present), the given alignment (default "down" if swept,
        else the first), the first bit pair."""
        rows = self.rows[~self.is_hap()]
        if len(rows) == 0:
            raise ResultsError("%s: no finished candidate besides HAP" % self.path)
        if method is None:
            m = int(rows["method"].min())
        else:
            if method not in self.method_names:
                raise ResultsError("%s: unknown method %s (one of %s)"
                                   % (self.path, method, ", ".join(self.method_names)))
            m = self.method_names.index(method)
        rows = rows[rows["method"] == m]
        if len(rows) == 0:
            raise ResultsError("%s: no candidate of method %s (the file has %s)"
                               % (self.path, self.method_names[m], ", ".join(self.methods_present())))
        aligns = sorted(set(rows["align"].tolist()))
        if align is None:
            down = self.align_names.index("down") if "down" in self.align_names else -1
            a = down if down in aligns else aligns[0]
        else:
            if align not in self.align_names:
                raise ResultsError("%s: unknown alignment %s (one of %s)"
                                   % (self.path, align, ", ".join(self.align_names)))
            a = self.align_names.index(align)
            if a not in aligns:
                raise ResultsError("%s: no candidate with alignment %s" % (self.path, align))
        rows = rows[rows["align"] == a]
        hi, lo = int(rows["bits_high"][0]), int(rows["bits_low"][0])
        return m, a, hi, lo

    def grid(self, sel):
        """Grid rows (kind cr or tau) of a selection, by increasing CR target (tau for a tau
        grid), and the dynamic search's chosen row (or None)."""
        m, a, hi, lo = sel
        r = self.rows
        same = (r["method"] == m) & (r["align"] == a) & (r["bits_high"] == hi) & (r["bits_low"] == lo)
        kinds = [self.kind_names.index(k) for k in ("cr", "tau") if k in self.kind_names]
        g = r[same & np.isin(r["kind"], kinds)]
        if len(g):
            key = np.where(g["kind"] == self.kind_names.index("cr"), g["cr_target"], g["tau"])
            g = g[np.lexsort((g["index"], key))]
        dyn = r[same & (r["kind"] == self.kind_names.index("dynamic")) & (r["chosen"] == 1)]
        return g, (dyn[0] if len(dyn) else None)

    def sel_name(self, sel):
        m, a, hi, lo = sel
        return "%s, align %s, %d/%d bit" % (self.method_names[m], self.align_names[a], hi, lo)


def load_all(paths, labels=None):
    """Results for every path; labels default to each file's own (made unique)."""
    if labels and len(labels) != len(paths):
        raise ResultsError("%d labels for %d files" % (len(labels), len(paths)))
    res = [Results(p, labels[i] if labels else None) for i, p in enumerate(paths)]
    seen = {}
    for r in res:
        if r.label in seen and not labels:
            r.label = "%s (%s)" % (r.label, os.path.basename(r.path))
        seen[r.label] = r
    for r in res:
        if len(r.rows) == 0:
            raise ResultsError("%s: no finished candidate yet" % r.path)
    return res


# ---------------------------------------------------------------- units and numbers

ENERGY_UNITS = (("pJ", 1e-12), ("nJ", 1e-9), ("µJ", 1e-6), ("mJ", 1e-3), ("J", 1.0))
TIME_UNITS = (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0))


def pick_unit(values, units):
    """The unit in which the largest finite |value| lies in [1, 1000)."""
    v = [abs(x) for x in values if x is not None and math.isfinite(x) and x != 0]
    if not v:
        return units[0] if units is TIME_UNITS else units[2]
    top = max(v)
    best = units[0]
    for name, scale in units:
        if top / scale >= 1:
            best = (name, scale)
    return best


def fmt(x, digits=4):
    """Significant digits without exponent; '–' for NaN."""
    if x is None or not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    d = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (d, x)


def fmt_fixed(x, d):
    if x is None or not math.isfinite(x):
        return "–"
    return "%.*f" % (d, x)


# ---------------------------------------------------------------- tables
# A table: dict(title, caption, header [..], rows [[cell strings]], notes [..]).


def table2(res):
    """Ours vs HAP at the same weight size (seed Table 2)."""
    hap = res.rows[res.is_hap()]
    if len(hap) == 0:
        return None
    ours_all = res.rows[~res.is_hap()]
    methods = sorted(set(ours_all["method"].tolist()))
    picks = []
    for h in hap:
        picks.append(("HAP", h, None))
        for m in methods:
            c = ours_all[(ours_all["method"] == m) & (ours_all["bits_high"] == h["bits_high"])]
            if len(c) == 0:
                continue
            s = c["size_ratio"]
            below = c[s <= h["size_ratio"] + 1e-12]
            if len(below):
                best = below[below["size_ratio"] == below["size_ratio"].max()]
                note = ""
            else:
                best = c[s == s.min()]
                note = "larger"
            best = best[np.lexsort((best["index"], -best["top1"]))][0]
            picks.append(("ours", best, note))
    eu = pick_unit([p[1]["energy_j"] for p in picks], ENERGY_UNITS)
    lu = pick_unit([p[1]["latency_s"] for p in picks], TIME_UNITS)
    header = ["Method", "Setting", "Size (% of 8-bit)", "Top-1 (%)", "Top-5 (%)",
              "Energy (%s)" % eu[0], "Latency (%s)" % lu[0], "Util. (%)",
              "Δ top-1 vs HAP (pp)", "Energy vs HAP (%)", "#"]
    rows, ref = [], None
    for who, r, note in picks:
        if who == "HAP":
            ref = r
            label, setting = "HAP", "prune %g%% of filters, %d-bit" % (100 * r["cr_target"], r["bits_high"])
            d1, de = "", ""
        else:
            label = "Ours (%s)" % res.method(r)
            k = res.kind(r)
            if k == "dynamic":
                setting = "dynamic search step %d%s (CR %.3f)" % (
                    r["step"], ", chosen" if r["chosen"] else "", r["cr_actual"])
            else:
                setting = "%s %g (actual CR %.3f)" % ("CR" if k == "cr" else "τ",
                                                      r["cr_target"] if k == "cr" else r["tau"],
                                                      r["cr_actual"])
            setting += ", align %s, %d/%d bit" % (res.align(r), r["bits_high"], r["bits_low"])
            if note:
                setting += "; no smaller candidate"
            d1 = fmt_fixed(r["top1"] - ref["top1"], 2)
            de = fmt_fixed(100.0 * (r["energy_j"] / ref["energy_j"] - 1.0), 1)
        rows.append([label, setting, fmt_fixed(100 * r["size_ratio"], 1), fmt_fixed(r["top1"], 2),
                     fmt_fixed(r["top5"], 2), fmt(r["energy_j"] / eu[1]), fmt(r["latency_s"] / lu[1]),
                     fmt_fixed(r["util_all"], 1), d1, de, str(int(r["index"]))])
    return dict(name="table2", title="Table 2: mixed precision (ours) vs HAP at the same weight size",
                header=header, align="ll" + "r" * (len(header) - 2), rows=rows,
                notes=["Size: weight bits relative to all weights at 8 bit (HAP: pruned filters "
                       "count as 0 bits). For each HAP point and sensitivity method, ours is the "
                       "candidate with the largest size not above HAP's.",
                       "Energy and latency per image from the crossbar model; Util.: crossbar "
                       "utilization after alignment; #: candidate index in /sweep/candidates."])


def table3(res, sel):
    """CR -> top-1, energy total / ADC / accumulation / other (seed Table 3)."""
    g, dyn = res.grid(sel)
    rows_in = list(g) + ([dyn] if dyn is not None else [])
    if not rows_in:
        return None
    eu = pick_unit([r["energy_j"] for r in rows_in], ENERGY_UNITS)
    tau = len(g) and res.kind(g[0]) == "tau"
    header = ["τ" if tau else "CR (target)", "CR (actual)", "Top-1 (%)",
              "Energy (%s)" % eu[0], "ADC (%s)" % eu[0], "Accumulation (%s)" % eu[0],
              "Other (%s)" % eu[0], "#"]
    rows = []
    for r in rows_in:
        first = ("dynamic (step %d)" % r["step"]) if res.kind(r) == "dynamic" else "%g" % r["cr_target"]
        rows.append([first, fmt_fixed(r["cr_actual"], 3), fmt_fixed(r["top1"], 2),
                     fmt(r["energy_j"] / eu[1]), fmt(r["energy_adc_j"] / eu[1]),
                     fmt(r["energy_accum_j"] / eu[1]), fmt(r["energy_other_j"] / eu[1]),
                     str(int(r["index"]))])
    return dict(name="table3", title="Table 3: compression ratio vs accuracy and energy per image (%s)"
                % res.sel_name(sel), header=header, align="l" + "r" * (len(header) - 1), rows=rows,
                notes=["CR: share of strips at low precision (target of the grid; actual after "
                       "alignment). Energy = ADC + accumulation + other, per image.",
                       "#: candidate index in /sweep/candidates."])


def _match(res, row, sel_other):
    """The row of another results file with the same candidate definition (or None)."""
    r = res.rows
    m, a, hi, lo = sel_other
    same = (r["method"] == m) & (r["align"] == a) & (r["bits_high"] == hi) & (r["bits_low"] == lo) \
        & (r["kind"] == row["kind"])
    if row["chosen"]:
        same &= r["chosen"] == 1
    else:
        same &= np.isclose(r["cr_target"], row["cr_target"], rtol=0, atol=1e-12)
    hit = r[same]
    return hit[0] if len(hit) else None


def table4(results, sel_primary, warn=None):
    """Utilization origin / packed / aligned per crossbar size (seed Table 4). Besides the cells,
    the table carries the numbers: series[(rows, cols, what)] = [(label, cr_target, value, index)]
    with what in origin / packed / aligned and label the first cell of the row."""
    base = results[0]
    m_name = base.method_names[sel_primary[0]]
    a_name = base.align_names[sel_primary[1]]
    sizes = {}   # (rows, cols) -> {"packed": Results, "origin": Results}
    for r in results:
        if r.model_sha != base.model_sha:
            if warn:
                warn("%s: another model than %s; left out of Table 4" % (r.path, base.path))
            continue
        rr, cc, mp = r.xbar()
        slot = sizes.setdefault((rr, cc), {})
        if mp in slot:
            if warn:
                warn("%s: a second %s file for %dx%d; Table 4 uses %s" % (r.path, mp, rr, cc, slot[mp].path))
            continue
        slot[mp] = r
    order = sorted(sizes, key=lambda s: -s[0] * s[1])
    cols = []  # (rows, cols, what, mapping, field)
    for s in order:
        for what, mp, field in (("origin", "origin", "util_before_align"),
                                ("packed", "packed", "util_before_align"),
                                ("aligned", "packed", "util_all")):
            if mp in sizes[s]:
                cols.append((s[0], s[1], what, mp, field))
    sels = {}
    for s in order:
        for mp, r in sizes[s].items():
            try:
                sels[(s, mp)] = r.primary(m_name, a_name)
            except ResultsError:
                sels[(s, mp)] = None
    g, dyn = base.grid(sel_primary)
    rows_in = list(g) + ([dyn] if dyn is not None else [])
    series = {(c[0], c[1], c[2]): [] for c in cols}
    rows = []
    for row in rows_in:
        first = "dynamic (chosen)" if base.kind(row) == "dynamic" else "%g" % row["cr_target"]
        cells, ids = [first], []
        for rr, cc, what, mp, field in cols:
            other, sel = sizes[(rr, cc)][mp], sels[((rr, cc), mp)]
            hit = _match(other, row, sel) if sel is not None else None
            if hit is None:
                cells.append("–")
                continue
            cells.append(fmt_fixed(hit[field], 1))
            ids.append("%d" % hit["index"])
            series[(rr, cc, what)].append((first, float(row["cr_target"]), float(hit[field]),
                                           int(hit["index"])))
        rows.append(cells + [" ".join(sorted(set(ids), key=ids.index)) or "–"])
    header = ["CR (target)"] + ["%dx%d %s (%%)" % (c[0], c[1], c[2]) for c in cols] + ["#"]
    srcs = ["%dx%d %s: %s" % (s[0], s[1], mp, os.path.basename(sizes[s][mp].path))
            for s in order for mp in ("origin", "packed") if mp in sizes[s]]
    return dict(name="table4", title="Table 4: crossbar utilization (%s, align %s)" % (m_name, a_name),
                header=header, align="l" + "r" * (len(header) - 1), rows=rows, series=series,
                sources={(c[0], c[1], c[2]): sizes[(c[0], c[1])][c[3]].path for c in cols},
                notes=["Utilization = used cells / cells of the allocated crossbars. origin: "
                       "util_before_align of a run with xbar.mapping = \"origin\"; packed: "
                       "util_before_align of a \"packed\" run (before alignment); aligned: "
                       "util_all of the packed run (after alignment E9); – : no such run given.",
                       "Files: " + "; ".join(srcs) + ". #: candidate index (the same in every file)."])


# ---------------------------------------------------------------- rendering

def markdown(t):
    out = ["### " + t["title"], ""]
    out.append("| " + " | ".join(t["header"]) + " |")
    out.append("|" + "|".join("---" if a == "l" else "---:" for a in t["align"]) + "|")
    for r in t["rows"]:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    out.append("")
    for n in t.get("notes", []):
        out.append("*" + n + "*  ")
    out.append("")
    return "\n".join(out)


_TEX = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "µ": r"$\mu$", "τ": r"$\tau$",
        "Δ": r"$\Delta$", "–": "--", '"': "''", "{": r"\{", "}": r"\}", "\\": r"\textbackslash{}"}


def tex_escape(s):
    s = "".join(_TEX.get(ch, ch) for ch in s)
    return re.sub(r"(\d+)x(\d+)", r"\1$\\times$\2", s)


def _sentence(s):
    return s[:1].upper() + s[1:]


def latex(t):
    out = ["% " + t["title"] + " (needs \\usepackage{booktabs})",
           "\\begin{table}[t]", "\\centering", "\\small",
           "\\caption{%s}" % tex_escape(_sentence(t["title"].split(": ", 1)[1])),
           "\\label{tab:%s}" % t["name"],
           "\\begin{tabular}{%s}" % t["align"], "\\toprule",
           " & ".join(tex_escape(h) for h in t["header"]) + " \\\\", "\\midrule"]
    for r in t["rows"]:
        out.append(" & ".join(tex_escape(c) for c in r) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    for note in t.get("notes", []):
        out.append("\\par\\footnotesize %s" % tex_escape(note))
    out += ["\\end{table}", ""]
    return "\n".join(out)
