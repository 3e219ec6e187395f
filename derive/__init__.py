"""symprop's generator: layer rules → mechanical gradients (SymPy) → LaTeX and NumPy kernels."""
