"""Closed-form results of deep-learning theory: pure NumPy/SciPy functions, no training."""
