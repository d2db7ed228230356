"""``warm_up`` compiles every loop the pages run, so no visitor waits for numba."""

import numpy as np
import pytest

from gddash.engine import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Settings,
    SoftmaxRegression,
    data_pass,
    descend,
    kernels,
    warm_up,
)


def compiled_signatures() -> dict[str, int]:
    loops = (
        kernels.sgd_updates,
        kernels.batch_updates,
        kernels.penalised_sgd_updates,
        kernels.softmax_updates,
        data_pass.sums,
        kernels.gather_window,
    )
    return {loop.__name__: len(loop.signatures) for loop in loops}


def frozen(*arrays):
    """Arrays as a prepared data set holds them: read-only."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


@pytest.mark.parametrize("shuffle", [True, False])
def test_runs_like_the_pages_compile_nothing_after_warm_up(shuffle):
    warm_up()
    before = compiled_signatures()
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(50), rng.standard_normal((50, 2))])
    classes = np.digitize(X[:, 1], [-0.5, 0.5]) * 1.0
    X, y, labels, classes = frozen(
        X, X @ [1.0, 2.0, -1.0], (X[:, 1] > 0) * 1.0, classes
    )
    problems = (
        LinearRegression(X, y),
        LogisticRegression(X, labels),
        HuberRegression(X, y, epsilon=0.5, intercept=True),
        SoftmaxRegression(X, classes, intercept=True),
    )
    for problem in problems:
        for variant in ("batch", "sgd", "minibatch"):
            for rule, schedule in (("plain", "constant"), ("adam", "invscaling")):
                for penalty in (None, "elasticnet"):
                    settings = Settings(
                        variant=variant,
                        rule=rule,
                        schedule=schedule,
                        learning_rate=1,  # an int: the loops take floats
                        momentum=0,
                        max_epochs=2,
                        shuffle=shuffle,
                        penalty=penalty,
                        alpha=1,  # an int too
                    )
                    descend(problem, settings)
    assert compiled_signatures() == before
    assert all(count == 1 for count in before.values())


def test_a_shuffled_run_of_more_than_a_window_compiles_nothing_after_warm_up():
    warm_up()
    before = compiled_signatures()
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(9000), rng.standard_normal((9000, 2))])
    X, y = frozen(X, X @ [1.0, 2.0, -1.0])
    for variant in ("sgd", "minibatch"):  # batches of 32 fill whole windows
        descend(LinearRegression(X, y), Settings(variant=variant, max_epochs=1))
    assert compiled_signatures() == before
