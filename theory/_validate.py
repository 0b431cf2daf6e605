"""Domain checks shared by the closed forms: each raises ValueError naming the parameter.

The checks are strict about types so that every caller refuses the same bad input: a bool,
a string, None or an object array is not a number here (``np.asarray("3", dtype=float)``
would silently read ``3.0``, and ``True`` would read ``1.0``), and an integer parameter must
hold an integral value (``3.0`` is accepted, ``3.5``, ``"3"`` and ``True`` are not).
"""

from __future__ import annotations

import numbers

import numpy as np

# numpy dtype kinds that hold real numbers: signed/unsigned integers and floats (not bool 'b',
# complex 'c', strings 'U'/'S' or objects 'O').
_REAL_KINDS = "iuf"


def real_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array, refusing bools, strings, None, complex and objects."""
    if value is None or isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{name} must be a real number or array of them, got {value!r}")
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise ValueError(f"{name} must be a real number or array of them, got {value!r}") from error
    if raw.dtype.kind not in _REAL_KINDS:
        raise ValueError(f"{name} must be a real number or array of them (not {raw.dtype}), got {value!r}")
    try:
        return raw.astype(np.float64)
    except OverflowError as error:  # pragma: no cover - only huge Python ints in object arrays
        raise ValueError(f"{name} is out of the float64 range, got {value!r}") from error


def as_finite(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; raise if any entry is NaN or infinite, or not a number."""
    array = real_array(name, value)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return array


def finite_matrix(name: str, value, *, ndim: int = 2, min_size: int = 1) -> np.ndarray:
    """``value`` as a finite float64 array with exactly ``ndim`` axes, each >= ``min_size``."""
    array = as_finite(name, value)
    if array.ndim != ndim or any(n < min_size for n in array.shape):
        raise ValueError(
            f"{name} must be a {ndim}-d array with every axis of length >= {min_size}, got "
            f"shape {array.shape}"
        )
    return array


def positive(name: str, value) -> np.ndarray:
    """``value`` as a float64 array with every entry in (0, inf)."""
    array = as_finite(name, value)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be in (0, inf), got {value!r}")
    return array


def non_negative(name: str, value) -> np.ndarray:
    """``value`` as a float64 array with every entry in [0, inf)."""
    array = as_finite(name, value)
    if np.any(array < 0):
        raise ValueError(f"{name} must be in [0, inf), got {value!r}")
    return array


def integer_at_least(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """``value`` as a Python int in [``minimum``, ``maximum``] (no upper bound if None).

    Accepts Python and NumPy integers and integral floats (``3.0``); refuses bools,
    strings, arrays of more than one element, non-integral and non-finite values.
    ``maximum`` bounds the work that a count may ask for.
    """
    span = f"[{minimum}, {'inf' if maximum is None else maximum}]"
    bad = ValueError(f"{name} must be an integer in {span}, got {value!r}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise bad
    if isinstance(value, np.ndarray):
        if value.shape != () or value.dtype.kind not in _REAL_KINDS:
            raise bad
        value = value.item()
    if isinstance(value, numbers.Integral):
        integer = int(value)
    else:
        number = float(value)
        if not number.is_integer():  # NaN and inf are not integers either
            raise bad
        integer = int(number)
    if integer < minimum or (maximum is not None and integer > maximum):
        raise bad
    return integer


def in_closed_interval(name: str, value, low: float, high: float) -> np.ndarray:
    """``value`` as a float64 array with every entry in [low, high]."""
    array = as_finite(name, value)
    if np.any((array < low) | (array > high)):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return array


def seed(name: str, value) -> int:
    """A random seed: an integer in [0, 2^32) (what NumPy and JAX keys accept)."""
    return integer_at_least(name, value, 0, 2**32 - 1)


def flag(name: str, value) -> bool:
    """A boolean switch: True or False only (not 0/1, not strings)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def one_of(name: str, value, options):
    """``value`` if it is one of ``options`` (strings), else ValueError listing them."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def finite_result(what: str, value, arguments: str) -> np.ndarray:
    """``value`` if every entry is finite, else ValueError: the valid ``arguments`` (a
    description naming them) ask for a ``what`` outside the float64 range (~1.8e308)."""
    array = np.asarray(value)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} overflows float64 (> 1.8e308) for {arguments}")
    return value


def scalar(name: str, array) -> float:
    """A checked 0-d (or one-element) array as a float; ValueError for any other shape."""
    array = np.asarray(array)
    if array.size != 1:
        raise ValueError(f"{name} must be a scalar, got shape {array.shape}")
    return float(array.reshape(()))
