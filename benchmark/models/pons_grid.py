"""The back-end hyper-parameter grids of Pons & Serra 2019, sec. 3.2 (and elmarc ``src/main.py``).

Kept free of imports so that validating a suite's recipe does not load scikit-learn or torch.
"""

SVM_KERNELS = ("rbf", "linear")
SVM_C = (0.1, 2.0, 8.0, 32.0)
#: "auto" is 1 / #features, the last value of the paper's gamma grid
SVM_GAMMA: tuple[float | str, ...] = (2**-3, 2**-5, 2**-7, 2**-9, 2**-11, 2**-13, "auto")
ELM_HIDDEN = (100, 250, 500, 1200, 1800, 2500)
ELM_HIDDEN_RANGE = (100, 2500)
