"""The models embedviz offers: one `ModelSpec` entry per model, read by everything else.

`load_model`, the command line, the Train page's form, the training workflow and the
warm-up all take what they need from `MODELS`, so adding a model is one class module
plus one entry here.
"""
from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedviz.models.base import FactorizationModel


AUTO = "auto"


@dataclass(frozen=True)
class Param:
    """One hyper-parameter as a form field: the range a user may pick (its default is the class's).

    ``kind``: "int", "float", "choice" (one of ``choices``) or "auto_float" (a number, or
    ``"auto"`` for a value the model chooses from the data at fit time).
    """

    name: str
    label: str
    low: float | int
    high: float | int
    help: str
    kind: str = "float"
    choices: tuple[str, ...] = ()

    @property
    def is_int(self) -> bool:
        return self.kind == "int"


@dataclass(frozen=True)
class ModelSpec:
    """Everything the app needs to know about one model class.

    Attributes
    ----------
    name : str
        The class name (the registry key, stored in saved model files).
    label : str
        What a page shows, e.g. "Gradient-descent MF".
    cli_name : str
        The ``--model`` value on the command line.
    module : str
        Module defining the class (imported on first use, so the registry stays light).
    summary : str
        One plain-language paragraph for the Train page.
    params : tuple of Param
        The parameters a user may set. Their defaults are the class's own (one source for the
        API, the Train page, the command line and the demo model), except ``random_state``,
        which the app fixes to `APP_SEED` so its results reproduce.
    steps_param : str
        The parameter that counts training steps (progress bars, ``--iterations``).
    step_unit : str
        What one step is called ("iteration", "epoch").
    judged_by : str
        A caption for result tables: which metrics fit this model's objective.
    metric : str
        The validation metric `embedviz.tune` optimises ("ndcg@10" or "rmse").
    warmup_params : tuple of dict
        Tiny fits that compile every kernel the model uses.
    """

    name: str
    label: str
    cli_name: str
    module: str
    summary: str
    params: tuple[Param, ...]
    steps_param: str
    step_unit: str
    judged_by: str = ""
    metric: str = "ndcg@10"
    warmup_params: tuple[dict, ...] = field(default=({},))

    @property
    def cls(self) -> type[FactorizationModel]:
        return getattr(import_module(self.module), self.name)

    def class_defaults(self) -> dict:
        """Every constructor parameter's default, read from the class signature."""
        signature = inspect.signature(self.cls.__init__)
        return {name: p.default for name, p in signature.parameters.items() if name != "self"}

    def defaults(self) -> dict:
        """The app's default for each form parameter: the class's, with the seed fixed."""
        defaults = self.class_defaults()
        return {p.name: APP_SEED if p.name == "random_state" else defaults[p.name] for p in self.params}

    def steps(self, params: dict) -> int:
        """Training steps a run with ``params`` takes (for progress)."""
        return int(params.get(self.steps_param, self.defaults()[self.steps_param]))

    def build(self, params: dict | None = None) -> FactorizationModel:
        """An unfitted model with the app's defaults updated by ``params``."""
        return self.cls(**{**self.defaults(), **(params or {})})


APP_SEED = 0
_FACTORS = Param("factors", "Embedding dimensions", 2, 512,
                 "Length of each user/item vector. More captures finer taste, costs time and "
                 "can overfit.", kind="int")
_REG_HELP = "Penalty on vector length. Raise it when the model overfits (train good, test poor)."
_SEED = Param("random_state", "Random seed", 0, 10_000, "Same seed, same result.", kind="int")

_ENTRIES = (
    ModelSpec(
        name="WALS", label="WALS", cli_name="wals", module="embedviz.models.wals",
        summary="Weighted alternating least squares: error on observed entries plus a weighted "
                "error on all unobserved ones, solved exactly for users, then items, in turn.",
        params=(
            _FACTORS,
            Param("regularization", "Regularisation λ", 0.0, 10_000.0, _REG_HELP),
            Param("unobserved_weight", "Unobserved weight w₀", 0.0, 1000.0,
                  "How much 'not interacted' counts as a zero, relative to an observed entry's "
                  "confidence 1 + α·value. Higher pushes unseen items' scores down."),
            Param("confidence", "Confidence", 0, 0,
                  "How a value becomes the weight of its entry: linear 1 + α·value (ratings), log "
                  "1 + α·log(1 + value) (play counts). auto picks from the values.",
                  kind="choice", choices=(AUTO, "linear", "log")),
            Param("alpha", "Confidence scale α", 0.0, 1e6,
                  "Weight of the value in an entry's confidence. Empty (auto) scales it to the "
                  "data: the average observed entry weighs a fixed amount more than an "
                  "unobserved one.", kind="auto_float"),
            Param("iterations", "Iterations", 1, 100,
                  "Alternating sweeps over users and items.", kind="int"),
            _SEED,
        ),
        steps_param="iterations", step_unit="iteration",
        warmup_params=(dict(factors=2, iterations=1, solver="cg", regularization=0.1, random_state=0),
                       dict(factors=2, iterations=1, solver="cholesky", regularization=0.1, random_state=0)),
    ),
    ModelSpec(
        name="GradientDescentMF", label="Gradient-descent MF", cli_name="sgd",
        module="embedviz.models.gradient_descent",
        summary="Stochastic gradient descent on the observed ratings with user, item and global "
                "biases: each step crawls against the gradient of the squared error.",
        params=(
            _FACTORS,
            Param("regularization", "Regularisation λ", 0.0, 10.0, _REG_HELP),
            Param("learning_rate", "Learning rate", 0.0001, 0.5,
                  "Step size. Too high diverges, too low learns slowly."),
            Param("epochs", "Epochs", 1, 200,
                  "Passes over the training ratings (stops early when the validation error "
                  "stops improving).", kind="int"),
            _SEED,
        ),
        steps_param="epochs", step_unit="epoch", metric="rmse",
        judged_by="Gradient-descent MF learns to predict the rating a user would give (judge it by "
                  "RMSE / MAE). Ranking every unseen item by predicted rating favours obscure "
                  "items with a few high ratings, so its ranking scores are low; WALS models "
                  "*what people choose*, including what they skip.",
        warmup_params=(dict(factors=2, epochs=1, random_state=0),),
    ),
)

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _ENTRIES}
# Models trained elsewhere that embedviz opens and queries but does not train (so they are in
# no form, no --model choice and no warm-up): class name -> defining module.
LOADED_ONLY: dict[str, str] = {"SparkALS": "embedviz.spark.factors"}


def model_class(name: str) -> type[FactorizationModel]:
    """The class a model file names: a registered model or one in `LOADED_ONLY`; KeyError otherwise."""
    if name in MODELS:
        return MODELS[name].cls
    return getattr(import_module(LOADED_ONLY[name]), name)


def model_spec(name: str) -> ModelSpec:
    """The entry for a class name, page label or command-line name."""
    for spec in MODELS.values():
        if name in (spec.name, spec.label, spec.cli_name):
            return spec
    raise ValueError(f"model must be one of {sorted(MODELS)}, got {name!r}")


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base (2)``, ``base (3)``… when that name is taken."""
    taken = set(taken)
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name
