"""Rebuild the real-data CSVs of data/ from the packages that distribute them.

This is a record of provenance, not part of the app: the CSVs it writes are
committed, and gddash never downloads anything. It needs scikit-learn (a dev
dependency of gddash) and the unpacked wheels of vega_datasets 0.9.0 and
statsmodels 0.15.0, which are not dependencies::

    pip download --no-deps -d /tmp/wheels vega_datasets==0.9.0 statsmodels==0.15.0
    cd /tmp/wheels && for w in *.whl; do unzip -q -o "$w" -d unpacked; done
    python data/extract_real.py /tmp/wheels/unpacked

Cell values are copied as text, unchanged, except where a docstring below says.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

import sklearn
from sklearn.datasets import load_breast_cancer

HERE = Path(__file__).resolve().parent
SKLEARN_DATA = Path(sklearn.__file__).parent / "datasets" / "data"


def write(filename: str, header: list[str], rows: list[list[str]]) -> None:
    with open(HERE / filename, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {filename}: {len(rows)} rows")


def diabetes() -> None:
    """Raw (unscaled) diabetes data; the target's '1.510000e+02' text becomes 151."""
    with gzip.open(SKLEARN_DATA / "diabetes_data_raw.csv.gz", "rt") as handle:
        features = [line.split() for line in handle if line.strip()]
    with gzip.open(SKLEARN_DATA / "diabetes_target.csv.gz", "rt") as handle:
        target = [str(int(float(line))) for line in handle if line.strip()]
    header = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    rows = [[*f, t] for f, t in zip(features, target, strict=True)]
    write("diabetes.csv", [*header, "progression"], rows)


def breast_cancer() -> None:
    """The 30 features as in scikit-learn's file; its 0/1 target becomes a label."""
    names = list(load_breast_cancer().feature_names)
    with open(SKLEARN_DATA / "breast_cancer.csv", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))[1:]  # line 1 is "569,30,malignant,benign"
    labels = {"0": "malignant", "1": "benign"}
    rows = [[*line[:-1], labels[line[-1]]] for line in lines]
    write("breast_cancer.csv", [*names, "diagnosis"], rows)


def iris() -> None:
    """Fisher's iris as in scikit-learn's file; its 0/1/2 codes become species names.

    The file's first line, "150,4,setosa,versicolor,virginica", names the codes.
    """
    with open(SKLEARN_DATA / "iris.csv", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    names = lines[0][2:]
    rows = [[*line[:-1], names[int(line[-1])]] for line in lines[1:]]
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    write("iris.csv", [*header, "species"], rows)


def auto_mpg(unpacked: Path) -> None:
    """vega_datasets' cars.json; Year '1970-01-01' becomes 1970, nulls become empty."""
    cars = json.loads((unpacked / "vega_datasets/_data/cars.json").read_text())
    keys = [
        ("Name", "name"),
        ("Cylinders", "cylinders"),
        ("Displacement", "displacement"),
        ("Horsepower", "horsepower"),
        ("Weight_in_lbs", "weight"),
        ("Acceleration", "acceleration"),
        ("Year", "model_year"),
        ("Origin", "origin"),
        ("Miles_per_Gallon", "mpg"),
    ]

    def cell(car: dict[str, object], key: str) -> str:
        value = car[key]
        if value is None:
            return ""
        if key == "Year":
            return str(value)[:4]
        return str(value)

    rows = [[cell(car, key) for key, _ in keys] for car in cars]
    write("auto_mpg.csv", [name for _, name in keys], rows)


def engel(unpacked: Path) -> None:
    """statsmodels' engel.csv with 'foodexp' renamed to 'food_expenditure'."""
    path = unpacked / "statsmodels/datasets/engel/engel.csv"
    with open(path, encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    write("engel.csv", ["income", "food_expenditure"], lines[1:])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    unpacked = Path(argv[0])
    diabetes()
    breast_cancer()
    iris()
    auto_mpg(unpacked)
    engel(unpacked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
