#!/usr/bin/python3
"""Compare two cimsweep results files row for row.

usage: compare_results.py A.h5 B.h5

Every dataset must be bit-identical, except the columns wall_s (wall-clock time) and rank
(which MPI rank computed a row) of /sweep/candidates, and the `seconds` attribute of
/sensitivity. Exits 1 with the first difference.
"""
import sys

import h5py
import numpy as np

IGNORED_COLUMNS = ("wall_s", "rank")


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def same(a, b):
    if a.dtype.names:
        if a.dtype.names != b.dtype.names or a.shape != b.shape:
            return False
        return all(a[n].tobytes() == b[n].tobytes() for n in a.dtype.names if n not in IGNORED_COLUMNS)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def main(pa, pb):
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        if set(da) != set(db):
            sys.exit("datasets differ: %s" % sorted(set(da) ^ set(db)))
        for name in sorted(da):
            if not same(da[name][()], db[name][()]):
                sys.exit("%s differs between %s and %s" % (name, pa, pb))
        for key in ("run_id", "config_hash", "candidates_done", "candidates_total"):
            if fa.attrs[key] != fb.attrs[key]:
                sys.exit("attribute %s differs" % key)
        n = len(fa["sweep/candidates"])
    print("identical (%d candidates): %s %s" % (n, pa, pb))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
