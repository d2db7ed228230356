"""``Dataset``: the design matrix and target handed to the descent engine.

Arrays are float64, C-contiguous and read-only; the scaling statistics and labels
travel with them so results can be read in the data's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gddash.errors import DataError

Task = Literal["linear", "logistic", "softmax"]
TASKS: tuple[Task, ...] = ("linear", "logistic", "softmax")
# Most classes of a softmax target: K·d parameters must stay readable in the
# table, and a column with more labels is a name or an id, not a class.
MAX_CLASSES = 20


@dataclass(frozen=True, eq=False)
class Dataset:
    """A design matrix and target ready for gradient descent.

    Arrays are float64, C-contiguous and read-only.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows; column 0 is ones ("intercept") when there is an intercept,
        the other columns are standardized when ``prepare`` standardized.
    y : ndarray of shape (n_samples,)
        Target; 0.0/1.0 for logistic regression; for softmax regression the class
        index 0.0, 1.0, …, K−1 of each row (``class_labels[k]`` is class k).
    feature_names : tuple of str, length n_features
    target_name : str
    task : {"linear", "logistic", "softmax"}
        Softmax regression has K·n_features parameters, θ flattened row-major
        from shape (K, n_features): row k scores class k.
    means, scales : ndarray of shape (n_features - has_intercept,)
        Standardization statistics of the non-intercept columns: original value =
        standardized value * scale + mean. Zeros and ones when not standardized.
    class_labels : tuple of labels or None
        The original target labels in index order: (label_of_0, label_of_1) for a
        two-valued target, the K labels (2 <= K <= ``MAX_CLASSES``) of a softmax
        target (required then), None for a numeric target.
    X_val : ndarray of shape (n_val, n_features) or None
    y_val : ndarray of shape (n_val,) or None
        Held-out rows, scaled with the training statistics; None without a split.
    notes : tuple of str
        Sentences about everything ``prepare`` changed.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    task: Task
    means: np.ndarray | None = None
    scales: np.ndarray | None = None
    class_labels: tuple[object, ...] | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        X = _frozen_array(self.X, "X", ndim=2)
        n_samples, n_features = X.shape
        names = tuple(self.feature_names)
        if len(names) != n_features:
            raise DataError(
                f"feature_names has {len(names)} names but X has {n_features} columns."
            )
        n_scaled = n_features - (names[:1] == ("intercept",))
        means = np.zeros(n_scaled) if self.means is None else self.means
        scales = np.ones(n_scaled) if self.scales is None else self.scales
        values = {
            "X": X,
            "y": _frozen_array(self.y, "y", ndim=1, length=n_samples),
            "feature_names": names,
            "means": _frozen_array(means, "means", ndim=1, length=n_scaled),
            "scales": _frozen_array(scales, "scales", ndim=1, length=n_scaled),
            "notes": tuple(self.notes),
        }
        if (self.X_val is None) != (self.y_val is None):
            raise DataError("X_val and y_val must both be given or both be None.")
        if self.X_val is not None:
            values["X_val"] = _frozen_array(
                self.X_val, "X_val", ndim=2, width=n_features
            )
            values["y_val"] = _frozen_array(
                self.y_val, "y_val", ndim=1, length=values["X_val"].shape[0]
            )
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self._check_task()

    def _check_task(self) -> None:
        if self.task not in TASKS:
            raise DataError(
                f"task must be 'linear', 'logistic' or 'softmax'. Got {self.task!r}."
            )
        if np.any(self.scales <= 0):
            raise DataError("scales must be positive.")
        if self.class_labels is not None:
            object.__setattr__(self, "class_labels", tuple(self.class_labels))
        if self.task == "logistic":
            for y in (self.y, self.y_val):
                if y is not None and not np.all((y == 0.0) | (y == 1.0)):
                    raise DataError("A logistic target must hold only 0.0 and 1.0.")
        if self.task == "softmax":
            self._check_classes()
        elif self.class_labels is not None and len(self.class_labels) != 2:
            raise DataError("class_labels must hold exactly two labels.")

    def _check_classes(self) -> None:
        """Softmax: 2..MAX_CLASSES distinct labels, y holding their indices."""
        labels = self.class_labels
        if labels is None:
            raise DataError(
                "A softmax Dataset needs class_labels: the K labels of the classes, "
                "in the order of their indices 0..K-1."
            )
        n_classes = len(labels)
        if not 2 <= n_classes <= MAX_CLASSES:
            raise DataError(
                f"Softmax regression needs 2 to {MAX_CLASSES} classes. Got "
                f"{n_classes} class labels instead."
            )
        if len({(type(v), v) for v in labels}) != n_classes:
            raise DataError("class_labels must be distinct.")
        for y in (self.y, self.y_val):
            if y is not None and not np.all(
                (y >= 0) & (y < n_classes) & (y == np.round(y))
            ):
                raise DataError(
                    f"A softmax target must hold class indices 0.0 to "
                    f"{n_classes - 1}.0 ({n_classes} class labels)."
                )

    @property
    def n_classes(self) -> int | None:
        """K for softmax regression, 2 for logistic regression, None for linear."""
        if self.task == "softmax":
            return len(self.class_labels)
        return 2 if self.task == "logistic" else None

    def __setstate__(self, state: dict[str, object]) -> None:
        # Unpickling (st.cache_data does it) skips __post_init__: re-freeze arrays.
        self.__dict__.update(state)
        for value in state.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __repr__(self) -> str:
        val = "" if self.X_val is None else f", n_val={len(self.X_val)}"
        return (
            f"Dataset(task={self.task!r}, target={self.target_name!r}, "
            f"n_samples={self.n_samples}, features={self.feature_names!r}{val})"
        )

    @property
    def n_samples(self) -> int:
        """Number of training rows."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns of X, the intercept column included."""
        return self.X.shape[1]

    @property
    def has_intercept(self) -> bool:
        """Whether column 0 of X is the column of ones named "intercept"."""
        return self.feature_names[:1] == ("intercept",)

    def to_original_units(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Express parameters fitted on X in the original units of the features.

        With standardized columns :math:`z_j = (x_j - \mu_j) / \sigma_j`,

        .. math::
            \theta_0 + \sum_j \theta_j z_j
            = \Big(\theta_0 - \sum_j \theta_j \mu_j / \sigma_j\Big)
              + \sum_j (\theta_j / \sigma_j)\, x_j ,

        so the coefficients are :math:`\theta_j / \sigma_j` and the intercept
        absorbs the means (for logistic regression this holds for the logit).
        Without an intercept column, :math:`\theta_0 = 0` but the returned
        intercept is still the offset the means imply.

        For softmax regression each class's row of θ is converted the same way.

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or (n_steps, n_params)
            One parameter vector, or a path of them; n_params is n_features, or
            K·n_features for softmax regression (row-major from (K, n_features)).

        Returns
        -------
        intercept : ndarray of shape () or (n_steps,); softmax: (K,) or (n_steps, K)
        coefficients : ndarray of shape (n_features - has_intercept,) or
            (n_steps, n_features - has_intercept); softmax: (K, ...) or
            (n_steps, K, ...)
            One per non-intercept feature, in ``feature_names`` order.
        """
        theta = np.asarray(theta, dtype=float)
        k = self.n_classes if self.task == "softmax" else 1
        n_params = k * self.n_features
        if theta.shape[-1:] != (n_params,) or theta.ndim > 2:
            raise ValueError(
                f"theta must have shape ({n_params},) or (n_steps, "
                f"{n_params}). Got {theta.shape} instead."
            )
        if self.task == "softmax":
            theta = theta.reshape(*theta.shape[:-1], k, self.n_features)
        offset = int(self.has_intercept)
        slopes = theta[..., offset:]
        coefficients = slopes / self.scales
        base = theta[..., 0] if offset else np.zeros(theta.shape[:-1])
        intercept = base - coefficients @ self.means
        return np.asarray(intercept), coefficients

    def unscale(self, X: np.ndarray) -> np.ndarray:
        """Undo standardization: rows in the layout of ``self.X`` -> original units.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)

        Returns
        -------
        ndarray of shape (n_rows, n_features)
            A new array; the intercept column (if any) is left as it is.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X must have shape (n_rows, {self.n_features}). Got {X.shape} instead."
            )
        original = X.copy()
        offset = int(self.has_intercept)
        original[:, offset:] = X[:, offset:] * self.scales + self.means
        return original


def _frozen_array(
    value: object,
    label: str,
    *,
    ndim: int,
    length: int | None = None,
    width: int | None = None,
) -> np.ndarray:
    """A read-only float64 C-contiguous view or copy of ``value``, shape-checked."""
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array is value:
        array = array.view()  # flag a view, never the caller's own array
    if array.ndim != ndim:
        raise DataError(f"{label} must be {ndim}-D. Got shape {array.shape} instead.")
    if length is not None and array.shape[0] != length:
        raise DataError(
            f"{label} must have {length} rows. Got shape {array.shape} instead."
        )
    if width is not None and array.shape[1] != width:
        raise DataError(
            f"{label} must have {width} columns. Got shape {array.shape} instead."
        )
    if _invalid_mask(array) is not None:
        raise DataError(f"{label} holds NaN or infinite values.")
    array.flags.writeable = False
    return array


def _invalid_mask(values: np.ndarray) -> np.ndarray | None:
    """Mask of NaN and ±inf cells, or None when every value is finite.

    A sum propagates NaN and inf, so one pass without a temporary array settles
    the common, complete case; only then is the mask built.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(values)
    if np.isfinite(total):
        return None
    mask = ~np.isfinite(values)
    return mask if mask.any() else None
