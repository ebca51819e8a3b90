"""Checks of analysis/report.py and analysis/pareto_plot.py against the results files that
check_analysis.sh writes into $CS_ANALYSIS_DATA (packed128.h5 is the main run; packed32.h5,
origin128.h5, origin32.h5 the same sweep on other crossbars / with the origin mapping).

The expected numbers are read here with h5py from /sweep/candidates, not through the analysis
modules; a printed number must equal the file's value to the digits printed."""
import os
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

DATA = os.environ.get("CS_ANALYSIS_DATA", "")
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis")
REPORT = os.path.join(SRC, "report.py")
PARETO = os.path.join(SRC, "pareto_plot.py")
MAIN = os.path.join(DATA, "packed128.h5")
ALL = [os.path.join(DATA, f) for f in ("packed128.h5", "packed32.h5", "origin128.h5", "origin32.h5")]
FIGURES = ("pareto_energy", "pareto_latency", "energy_breakdown", "utilization")
UNITS = {"pJ": 1e-12, "nJ": 1e-9, "µJ": 1e-6, "mJ": 1e-3, "J": 1.0,
         "ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}

pytestmark = pytest.mark.skipif(not os.path.exists(MAIN), reason="run through check_analysis.sh")


def run(*args):
    return subprocess.run([sys.executable] + list(args), capture_output=True, text=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("report"))
    p = run(REPORT, *ALL, "-o", out)
    assert p.returncode == 0, p.stderr
    return out


def candidates(path):
    with h5py.File(path, "r") as f:
        ds = f["sweep/candidates"]
        names = {k: ds.attrs[k].decode().split(",") for k in ("kind_names", "method_names", "align_names")}
        return ds[()], names


def xbar_of(path):
    with h5py.File(path, "r") as f:
        text = bytes(f["config"][()]).decode()
    block = text[text.index("xbar = {"):]
    rows = int(re.search(r"\n  rows = (\d+);", block).group(1))
    cols = int(re.search(r"\n  cols = (\d+);", block).group(1))
    mapping = re.search(r'\n  mapping = "(\w+)";', block).group(1)
    return rows, cols, mapping


def md_table(path):
    """(header, rows) of the Markdown table in a file."""
    lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l.startswith("|")]
    split = lambda l: [c.strip() for c in l.strip().strip("|").split(" | ")]
    header = split(lines[0])
    assert re.match(r"^\|(-{3}:?\|)+$", lines[1]), lines[1]
    rows = [split(l) for l in lines[2:]]
    assert all(len(r) == len(header) for r in rows), path
    return header, rows


def close(cell, value, scale=1.0):
    """cell (printed with d decimals) equals value / scale to within half a unit of the last
    digit printed."""
    if cell == "–":
        return not np.isfinite(value)
    d = len(cell.split(".")[1]) if "." in cell else 0
    return abs(float(cell) - value / scale) <= 0.5 * 10 ** -d * (1 + 1e-9) + 1e-12


def unit(header_cell):
    m = re.search(r"\((\S+)\)$", header_cell)
    return UNITS[m.group(1)]


def by_index(c, i):
    hit = c[c["index"] == int(i)]
    assert len(hit) == 1, i
    return hit[0]


# ---------------------------------------------------------------- tables

def test_table2_numbers_and_choice(report):
    c, names = candidates(MAIN)
    hap_kind = names["kind_names"].index("hap")
    header, rows = md_table(os.path.join(report, "table2.md"))
    col = {h: i for i, h in enumerate(header)}
    e_col = next(h for h in header if h.startswith("Energy ("))
    l_col = next(h for h in header if h.startswith("Latency ("))
    done = c[c["status"] == 1]
    assert sum(r[0] == "HAP" for r in rows) == int((done["kind"] == hap_kind).sum())
    methods = {names["method_names"][m] for m in done["method"][done["kind"] != hap_kind]}
    ref = None
    seen = {}
    for r in rows:
        row = by_index(c, r[col["#"]])
        assert close(r[col["Size (% of 8-bit)"]], 100 * row["size_ratio"])
        assert close(r[col["Top-1 (%)"]], row["top1"])
        assert close(r[col["Top-5 (%)"]], row["top5"])
        assert close(r[col[e_col]], row["energy_j"], unit(e_col))
        assert close(r[col[l_col]], row["latency_s"], unit(l_col))
        assert close(r[col["Util. (%)"]], row["util_all"])
        if r[0] == "HAP":
            assert row["kind"] == hap_kind
            ref = row
            seen[int(row["index"])] = set()
            continue
        m = re.match(r"Ours \((\w+)\)$", r[0]).group(1)
        assert names["method_names"][row["method"]] == m and row["kind"] != hap_kind
        seen[int(ref["index"])].add(m)
        assert close(r[col["Δ top-1 vs HAP (pp)"]], row["top1"] - ref["top1"])
        assert close(r[col["Energy vs HAP (%)"]], 100 * (row["energy_j"] / ref["energy_j"] - 1))
        # the choice: the largest size not above HAP's (else the smallest above)
        same = done[(done["method"] == row["method"]) & (done["kind"] != hap_kind)]
        below = same["size_ratio"][same["size_ratio"] <= ref["size_ratio"] + 1e-12]
        want = below.max() if len(below) else same["size_ratio"].min()
        assert row["size_ratio"] == want
    assert all(v == methods for v in seen.values()), seen


def grid_rows(c, names, method="hutchinson", align="down"):
    k = names["kind_names"]
    sel = (c["status"] == 1) & (c["method"] == names["method_names"].index(method)) \
        & (c["align"] == names["align_names"].index(align))
    g = c[sel & (c["kind"] == k.index("cr"))]
    dyn = c[sel & (c["kind"] == k.index("dynamic")) & (c["chosen"] == 1)]
    return g[np.argsort(g["cr_target"])], dyn


def test_table3_numbers(report):
    c, names = candidates(MAIN)
    header, rows = md_table(os.path.join(report, "table3.md"))
    assert header[0] == "CR (target)" and header[-1] == "#"
    g, dyn = grid_rows(c, names)
    assert len(rows) == len(g) + len(dyn)
    for r, want in zip(rows, list(g) + list(dyn)):
        assert int(r[-1]) == want["index"]
        if want["kind"] == names["kind_names"].index("cr"):
            assert float(r[0]) == pytest.approx(want["cr_target"])
        else:
            assert r[0].startswith("dynamic")
        assert close(r[1], want["cr_actual"])
        assert close(r[2], want["top1"])
        for h, field in zip(header[3:7], ("energy_j", "energy_adc_j", "energy_accum_j", "energy_other_j")):
            assert close(r[header.index(h)], want[field], unit(h)), (h, r)
    # the table is not trivial: energy falls as more strips go to 4 bit
    assert g["energy_j"][0] > g["energy_j"][-1]


def test_table4_numbers(report):
    header, rows = md_table(os.path.join(report, "table4.md"))
    files = {xbar_of(p): p for p in ALL}
    cols = []
    for h in header[1:-1]:
        m = re.match(r"^(\d+)x(\d+) (origin|packed|aligned) \(%\)$", h)
        assert m, h
        r, q, what = int(m.group(1)), int(m.group(2)), m.group(3)
        path = files[(r, q, "origin" if what == "origin" else "packed")]
        cols.append((path, "util_all" if what == "aligned" else "util_before_align"))
    assert len(cols) == 6  # 2 sizes x origin / packed / aligned
    checked = 0
    for r in rows:
        for cell, (path, field) in zip(r[1:-1], cols):
            c, names = candidates(path)
            g, dyn = grid_rows(c, names)
            want = dyn[0] if r[0].startswith("dynamic") else g[np.isclose(g["cr_target"], float(r[0]))][0]
            assert close(cell, want[field]), (r[0], path, field)
            checked += 1
    assert checked == 6 * (len(grid_rows(*candidates(MAIN))[0]) + 1)


def numbers(s):
    return re.findall(r"-?\d+(?:\.\d+)?", s)


def test_latex_matches_markdown(report):
    for name in ("table2", "table3", "table4"):
        _, md_rows = md_table(os.path.join(report, name + ".md"))
        tex = open(os.path.join(report, name + ".tex"), encoding="utf-8").read()
        assert "\\begin{tabular}" in tex and "\\toprule" in tex and "\\bottomrule" in tex
        body = tex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
        tex_rows = [l for l in body.splitlines() if l.endswith("\\\\")]
        assert len(tex_rows) == len(md_rows), name
        for m, t in zip(md_rows, tex_rows):
            cells = [x.strip() for x in t[:-2].split(" & ")]
            assert len(cells) == len(m)
            assert numbers(" ".join(m)) == numbers(" ".join(cells).replace("$\\times$", "x")), (m, cells)


def test_report_files(report):
    md = open(os.path.join(report, "report.md"), encoding="utf-8").read()
    for t in ("Table 2", "Table 3", "Table 4"):
        assert t in md
    for stem in FIGURES:
        assert "(%s.png)" % stem in md
    tex = open(os.path.join(report, "report.tex"), encoding="utf-8").read()
    assert tex.count("\\begin{table}") == 3 and tex.count("\\includegraphics") == len(FIGURES)


# ---------------------------------------------------------------- images

def check_images(folder, stems):
    import matplotlib.image as mpimg
    for stem in stems:
        png = os.path.join(folder, stem + ".png")
        assert os.path.getsize(png) > 20000, png
        img = mpimg.imread(png)[..., :3]
        h, w = img.shape[:2]
        assert w >= 800 and h >= 500, (png, img.shape)
        ink = (img.mean(axis=2) < 0.9).mean()        # share of non-white pixels
        colour = (img.max(axis=2) - img.min(axis=2) > 0.2).mean()   # share of coloured pixels
        assert ink > 0.02, (png, ink)
        assert colour > 0.002, (png, colour)
        svg = open(os.path.join(folder, stem + ".svg"), encoding="utf-8").read()
        assert "<svg" in svg and len(svg) > 20000, stem
        with open(os.path.join(folder, stem + ".pdf"), "rb") as f:
            pdf = f.read()
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000, stem


def test_report_images(report):
    check_images(report, FIGURES)


def test_pareto_plot_overlay(tmp_path):
    p = run(PARETO, ALL[0], ALL[1], "-o", str(tmp_path), "--labels", "128x128,32x32")
    assert p.returncode == 0, p.stderr
    check_images(str(tmp_path), ("pareto_energy", "pareto_latency"))
    assert "128x128" in open(tmp_path / "pareto_energy.svg", encoding="utf-8").read()


def test_front_is_the_files(tmp_path):
    sys.path.insert(0, SRC)
    import cimsweep_plots
    import cimsweep_results
    res = cimsweep_results.Results(MAIN)
    with h5py.File(MAIN, "r") as f:
        want = sorted(f["pareto/index"][()].tolist())
    assert sorted(int(r["index"]) for r in cimsweep_plots._front_rows(res, False)) == want
    assert len(want) >= 3


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("script", [REPORT, PARETO])
def test_bad_inputs(script, tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5\n")
    model = os.path.join(DATA, "model.h5")
    cases = [(str(text), "not an HDF5 file"),
             (model, "not a cimsweep results file"),
             (str(tmp_path / "missing.h5"), "no such file"),
             (str(tmp_path), "is a directory")]
    with h5py.File(tmp_path / "partial.h5", "w") as f:
        f.attrs["format"] = np.bytes_("cimsweep-results")
    cases.append((str(tmp_path / "partial.h5"), "no /sweep/candidates"))
    for path, msg in cases:
        p = run(script, path, "-o", str(tmp_path / "out"))
        assert p.returncode == 2, (path, p.returncode, p.stderr)
        assert msg in p.stderr and path in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
    p = run(script)
    assert p.returncode == 2 and "usage" in p.stderr
