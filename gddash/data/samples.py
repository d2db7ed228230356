"""The datasets bundled with gddash (provenance and licences in data/README.md).

``DATA_DIR`` is the repository's ``data/`` folder of CSV samples.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from gddash.data.dataset import TASKS, Task
from gddash.errors import DataError

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# What ``samples()`` lists unless asked for more: the tasks every page fits.
# The softmax sample is listed with ``samples(tasks=TASKS)`` until the pages'
# forms, comparison and generated code handle softmax regression.
PAGE_TASKS: tuple[Task, ...] = ("linear", "logistic")


@dataclass(frozen=True)
class Sample:
    """A dataset bundled with gddash (provenance and licence in data/README.md).

    Attributes
    ----------
    key : str
        Stable identifier, e.g. for ``load_sample`` and URLs.
    title, description : str
        A short name and one or two sentences for the sample picker.
    default_target : str
    default_features : tuple of str or None
        None means every usable column except the target.
    task : {"linear", "logistic", "softmax"}
    n_rows : int
        Data rows of the CSV.
    filename : str or None
        A CSV committed in ``data/``.
    generator : str or None
        A function of ``data/make_synthetic.py`` returning a DataFrame, for data
        too large to commit. Exactly one of ``filename`` and ``generator`` is set.
    source : str
        Provenance and licence in a few words.
    """

    key: str
    title: str
    description: str
    default_target: str
    default_features: tuple[str, ...] | None
    task: Task
    n_rows: int
    filename: str | None = None
    generator: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if (self.filename is None) == (self.generator is None):
            raise ValueError("A Sample needs exactly one of filename and generator.")


_SAMPLES = (
    Sample(
        key="line",
        title="Noisy line (1 feature)",
        description=(
            "200 points around y = 4 + 3x. With one feature the loss depends only on "
            "intercept and slope, so its 3-D surface is exact, and the known answer "
            "(4, 3) lets you check every variant."
        ),
        default_target="y",
        default_features=("x",),
        task="linear",
        n_rows=200,
        filename="line.csv",
        source="synthetic (data/make_synthetic.py, seed fixed)",
    ),
    Sample(
        key="seed",
        title="Tiny example (3 rows)",
        description=(
            "The seed example: X = [[1, 2], [2, 3], [3, 4]], y = [2, 4, 6]. "
            "x2 = x1 + 1, so with an intercept the columns are collinear and many "
            "parameter vectors fit exactly; fit it without intercept to follow the "
            "numbers by hand."
        ),
        default_target="y",
        default_features=("x1", "x2"),
        task="linear",
        n_rows=3,
        filename="seed.csv",
        source="the classic numpy gradient-descent example (made up)",
    ),
    Sample(
        key="diabetes",
        title="Diabetes progression (real, regression)",
        description=(
            "442 patients: age, sex, BMI, blood pressure and six blood serum "
            "measurements; target is disease progression one year later."
        ),
        default_target="progression",
        default_features=None,
        task="linear",
        n_rows=442,
        filename="diabetes.csv",
        source="Efron et al. (2004), via scikit-learn (BSD-3-Clause)",
    ),
    Sample(
        key="auto_mpg",
        title="Car fuel economy (real, regression, with gaps)",
        description=(
            "406 cars from 1970–1982: fuel economy (mpg) against weight, horsepower, "
            "model year and origin. Has missing values, a text column (name) and a "
            "categorical one (origin)."
        ),
        default_target="mpg",
        default_features=("weight", "horsepower", "model_year", "origin"),
        task="linear",
        n_rows=406,
        filename="auto_mpg.csv",
        source="UCI Auto MPG / StatLib, via vega_datasets (CC BY 4.0)",
    ),
    Sample(
        key="breast_cancer",
        title="Breast cancer diagnosis (real, classification)",
        description=(
            "569 tumours described by 30 measurements of cell nuclei; target is "
            "'malignant' or 'benign'. Logistic regression."
        ),
        default_target="diagnosis",
        default_features=("mean radius", "mean texture"),
        task="logistic",
        n_rows=569,
        filename="breast_cancer.csv",
        source="UCI Breast Cancer Wisconsin (Diagnostic), via scikit-learn (CC BY 4.0)",
    ),
    Sample(
        key="iris",
        title="Iris species (real, three classes)",
        description=(
            "150 iris flowers, 50 of each species (setosa, versicolor, virginica), "
            "described by the length and width of their sepals and petals in cm. "
            "Softmax regression: one score per species."
        ),
        default_target="species",
        default_features=None,
        task="softmax",
        n_rows=150,
        filename="iris.csv",
        source="Anderson (1935) and Fisher (1936), via scikit-learn (public domain)",
    ),
    Sample(
        key="engel",
        title="Engel's food expenditure (real, 1 feature)",
        description=(
            "235 Belgian households in 1857: yearly food expenditure against income. "
            "A real one-feature regression with an exact 3-D loss surface."
        ),
        default_target="food_expenditure",
        default_features=("income",),
        task="linear",
        n_rows=235,
        filename="engel.csv",
        source="Engel (1857), via statsmodels (public domain)",
    ),
    Sample(
        key="ill_conditioned",
        title="Ill-conditioned: floor area and rooms",
        description=(
            "300 synthetic houses: price against floor area (hundreds to thousands of "
            "square feet) and number of rooms (1–8), strongly correlated. Unscaled, "
            "the loss contours are extremely elongated; standardization visibly helps."
        ),
        default_target="price",
        default_features=("area_sqft", "rooms"),
        task="linear",
        n_rows=300,
        filename="ill_conditioned.csv",
        source="synthetic (data/make_synthetic.py, seed fixed)",
    ),
    Sample(
        key="large",
        title="Large synthetic (250,000 rows)",
        description=(
            "250,000 rows, 4 features, y = 1 + 2·x1 − 3·x2 + 0.5·x3 + noise (x4 is "
            "pure noise). Shows where stochastic and mini-batch descent win on speed."
        ),
        default_target="y",
        default_features=None,
        task="linear",
        n_rows=250_000,
        generator="large",
        source="synthetic, generated in memory (data/make_synthetic.py, seed fixed)",
    ),
)


def samples(tasks: Collection[Task] = PAGE_TASKS) -> tuple[Sample, ...]:
    """The bundled datasets for ``tasks`` in display order; the first is the default.

    The default is the noisy line: with one feature and an intercept the loss has
    exactly two parameters, so the 3-D loss surface is exact and every variant's
    path can be drawn on it; 200 rows make batch, stochastic and mini-batch runs
    instant yet visibly different, and the true parameters (4, 3) are known.

    Parameters
    ----------
    tasks : collection of {"linear", "logistic", "softmax"}, default PAGE_TASKS
        Only samples whose task is one of these; ``TASKS`` lists every sample.

    Returns
    -------
    tuple of Sample
    """
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"tasks must be among {TASKS}. Got {sorted(unknown)}.")
    return tuple(s for s in _SAMPLES if s.task in tasks)


@functools.cache
def load_sample(key: str) -> bytes:
    """CSV bytes of a bundled sample (cached; the large one is generated once).

    Parameters
    ----------
    key : str
        A ``Sample.key`` from ``samples()``.

    Returns
    -------
    bytes
        CSV content, to be read with ``read_csv`` like an upload.

    Raises
    ------
    DataError
        For an unknown key (which may come from a shared URL), listing the keys.
    """
    sample = next((s for s in _SAMPLES if s.key == key), None)
    if sample is None:
        keys = ", ".join(f"'{s.key}'" for s in _SAMPLES)
        raise DataError(f"There is no sample '{key}'. Choose one of: {keys}.")
    if sample.filename is not None:
        return (DATA_DIR / sample.filename).read_bytes()
    module = _synthetic_module()
    return module.csv_bytes(getattr(module, sample.generator)())


@functools.lru_cache(maxsize=1)
def _synthetic_module() -> ModuleType:
    """Import data/make_synthetic.py by path (data/ is a folder, not a package)."""
    path = DATA_DIR / "make_synthetic.py"
    spec = importlib.util.spec_from_file_location("gddash_make_synthetic", path)
    if spec is None or spec.loader is None:
        raise DataError(f"Cannot load the sample generator at {path}.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
