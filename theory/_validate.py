"""Domain checks shared by the closed forms: each raises ValueError naming the parameter."""

from __future__ import annotations

import numpy as np


def as_finite(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; raise if any entry is NaN or infinite."""
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
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


def integer_at_least(name: str, value, minimum: int) -> int:
    """``value`` as a Python int >= ``minimum``."""
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def in_closed_interval(name: str, value, low: float, high: float) -> np.ndarray:
    """``value`` as a float64 array with every entry in [low, high]."""
    array = as_finite(name, value)
    if np.any((array < low) | (array > high)):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return array
