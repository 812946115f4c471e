"""Fitted state: a fit that fails leaves the estimator as it found it."""

from contextlib import contextmanager


@contextmanager
def unchanged_on_failure(estimator):
    """Put back every attribute of ``estimator`` if the block raises.

    Fitting sets attributes as it goes (``validate_data`` first), so a fit
    that fails part-way would leave a half-changed model; this leaves the
    previous model, or an unfitted estimator, instead. It copies the
    attribute dictionary only: the block must replace attributes, never
    change them in place.
    """
    previous = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(previous)
        raise
