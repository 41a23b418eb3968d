#!/usr/bin/python3
"""h5py_reads_predictions.py - a predictions.h5 written by store/predictions.c reads in
h5py as eval/README.md says (no plugin needed), with the values of the same albums'
CSV files. Skipped (77) without h5py. Usage: h5py_reads_predictions.py path/to/write_predictions"""
import csv
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py or numpy missing: skipped")
    sys.exit(77)


def main():
    with tempfile.TemporaryDirectory(prefix="tg-eval-h5py-") as d:
        subprocess.run([sys.argv[1], d], check=True)
        with h5py.File(os.path.join(d, "predictions.h5"), "r") as f:
            assert f.attrs["schema_version"] == 1
            assert f.attrs["threshold"] == 0.35
            assert f.attrs["model"] == "model.h5"
            assert list(f["split"].attrs["names"]) == ["train", "test", "unlabeled"]
            assert f["scores"].dtype == np.float32 and f["labels"].dtype == np.uint8
            test = f["split"][:] == 1
            scores, labels = f["scores"][:][test], f["labels"][:][test]
            genres = list(f["genre"].asstr()[:])
            ids = list(f["album_id"].asstr()[test])
        with open(os.path.join(d, "test_labels.csv"), newline="", encoding="utf-8") as fl, \
             open(os.path.join(d, "test_scores.csv"), newline="", encoding="utf-8") as fs:
            lab, sco = list(csv.reader(fl)), list(csv.reader(fs))
        assert lab[0][1:] == genres, (lab[0], genres)
        assert [r[0] for r in lab[1:]] == ids
        assert np.array_equal(np.array([r[1:] for r in lab[1:]], dtype=np.uint8), labels)
        assert np.array_equal(np.array([r[1:] for r in sco[1:]], dtype=np.float32), scores)
    print("h5py reads predictions.h5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
