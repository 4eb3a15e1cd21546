"""The models the app offers and their hyper-parameters, as one lookup table.

The Train page builds its form from this table and the command line takes its defaults
from it, so adding a parameter here adds it to both.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: float | int
    low: float | int
    high: float | int
    help: str

    @property
    def is_int(self) -> bool:
        return isinstance(self.default, int)


@dataclass(frozen=True)
class ModelChoice:
    cls_path: str
    summary: str
    params: tuple[Param, ...]

    @property
    def cls(self):
        import embedviz as ev

        return getattr(ev, self.cls_path)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


_FACTORS = Param("factors", "Embedding dimensions", 32, 2, 256,
                 "Length of each user/item vector. More captures finer taste, costs time and can overfit.")
_REG_HELP = "Penalty on vector length. Raise it when the model overfits (train good, test poor)."
_SEED = Param("random_state", "Random seed", 0, 0, 10_000, "Same seed, same result.")

MODELS: dict[str, ModelChoice] = {
    "WALS": ModelChoice(
        "WALS",
        "Weighted alternating least squares: error on observed entries plus a weighted error on all "
        "unobserved ones, solved exactly for users, then items, in turn.",
        (
            _FACTORS,
            Param("regularization", "Regularisation λ", 10.0, 0.0, 1000.0, _REG_HELP),
            Param("unobserved_weight", "Unobserved weight w₀", 0.5, 0.0, 10.0,
                  "How much 'not interacted' counts as a zero. 0 ignores unobserved entries "
                  "(rating prediction); higher pushes unseen items' scores down."),
            Param("iterations", "Iterations", 15, 1, 100, "Alternating sweeps over users and items."),
            _SEED,
        ),
    ),
    "Gradient-descent MF": ModelChoice(
        "GradientDescentMF",
        "Stochastic gradient descent on the observed ratings with user, item and global biases: "
        "each step crawls against the gradient of the squared error.",
        (
            _FACTORS,
            Param("regularization", "Regularisation λ", 0.05, 0.0, 10.0, _REG_HELP),
            Param("learning_rate", "Learning rate", 0.01, 0.0001, 0.5,
                  "Step size. Too high diverges, too low learns slowly."),
            Param("epochs", "Epochs", 20, 1, 200, "Passes over the training ratings (stops early when "
                  "the validation error stops improving)."),
            _SEED,
        ),
    ),
}


def unique_name(base: str, taken) -> str:
    """``base``, or ``base (2)``, ``base (3)``… when that name is taken."""
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name
