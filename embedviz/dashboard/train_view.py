"""Train-page pieces: the parameter form, training and tuning progress, the results table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.dashboard import state
from embedviz.dashboard.jobs import Job
from embedviz.dashboard.records import TrainedModel
from embedviz.dashboard.safe import md
from embedviz.models.registry import AUTO, ModelSpec, Param, unique_name
from embedviz.viz import plots

BUDGETS = (15, 30, 60, 120, 300)


def _key(spec: ModelSpec, param: Param) -> str:
    return f"{spec.name}_{param.name}"


def parameter_form(spec: ModelSpec, busy: bool) -> tuple[dict, str, bool, bool, int]:
    """The form: one field per registry parameter (defaults from the class), a run name, a
    "Train" and a "Tune" button with its time budget.

    Returns (params, run name, train clicked, tune clicked, tuning budget in seconds).
    """
    defaults = spec.defaults()
    for param in spec.params:          # defaults go through session state, so "use these settings" can set them
        default = defaults[param.name]
        st.session_state.setdefault(_key(spec, param), None if param.kind == "auto_float" and default == AUTO
                                    else default)
    with st.form("train"):
        params = {p.name: _field(column, spec, p) for column, p in zip(st.columns(len(spec.params)), spec.params)}
        name = st.text_input("Name this run", value=unique_name(spec.label, state.models()),
                             help="Train several configurations and compare them below.", key="train_name")
        left, middle, right = st.columns([1, 1, 3], vertical_alignment="bottom")
        train = left.form_submit_button("Train", type="primary", icon=":material/play_arrow:", disabled=busy)
        tune = middle.form_submit_button("Tune", icon=":material/tune:", disabled=busy,
                                         help=f"Search {spec.label}'s parameters for the best validation "
                                              f"{spec.metric.upper()} within the time budget (the held-out test "
                                              "split is never used by the search).")
        budget = right.select_slider("Tuning budget (seconds)", BUDGETS, value=60, key="tune_budget")
    return params, name, train, tune, int(budget)


def _field(column, spec: ModelSpec, p: Param):
    key = _key(spec, p)
    if p.kind == "choice":
        return column.selectbox(p.label, p.choices, help=p.help, key=key)
    if p.kind == "auto_float":
        value = column.number_input(p.label, min_value=float(p.low), max_value=float(p.high), format="%g",
                                    placeholder="auto", help=p.help, key=key)
        return AUTO if value is None else float(value)
    if p.is_int:
        return int(column.number_input(p.label, min_value=int(p.low), max_value=int(p.high), step=1, help=p.help,
                                       key=key))
    return float(column.number_input(p.label, min_value=float(p.low), max_value=float(p.high), format="%g",
                                     help=p.help, key=key))


def use_settings(spec: ModelSpec, params: dict) -> None:
    """on_click of "use these settings": put tuned values into the form's fields."""
    for p in spec.params:
        if p.name not in params or p.name == "random_state":
            continue
        value = params[p.name]
        if p.kind == "auto_float":
            value = None if value == AUTO else float(value)
        elif p.kind != "choice":
            value = int(value) if p.is_int else float(value)
        st.session_state[_key(spec, p)] = value


# ---------------------------------------------------------------- jobs
def jobs_panel() -> None:
    """Progress of this session's latest training and tuning jobs (run as a polling fragment);
    a finished job's model joins the others and the page reruns to show it everywhere."""
    from embedviz.models.registry import MODELS

    jobs = state.session_jobs()
    if "train" in jobs:
        training_progress(jobs["train"])
    if "tune" in jobs:
        tuning_progress(jobs["tune"], MODELS[jobs["tune"].model])
    if state.keep_finished_model("train") or state.keep_finished_model("tune"):
        st.rerun()


def training_progress(job: Job) -> None:
    """Progress of a training job, its loss curve, and what its times measure."""
    done, history = job.snapshot()
    if job.running:
        text = f"{job.name}: {job.unit} {done} of {job.total} · {job.elapsed:.1f} s since the click"
    else:
        fit = job.result.seconds if job.result is not None else float("nan")
        text = (f"{job.name}: {job.unit} {done} of {job.total} · {job.status} in {job.elapsed:.1f} s "
                f"(fitting {fit:.1f} s; the rest is splitting, the held-out scoring and the baseline)")
    st.progress(job.fraction, text=text)
    if job.running and st.button("Cancel", icon=":material/stop:", key="cancel_train"):
        job.cancel()
    if history:
        st.plotly_chart(plots.loss_curve(history, job.total))
    if job.status == "failed":
        st.error(f"Training failed: {md(job.error)}", icon=":material/error:")
    for warning in getattr(job.result, "warnings", []):
        st.warning(md(warning), icon=":material/warning:")
    if state.partial_model_waiting("train"):
        _offer_partial_model(job, done)


def _offer_partial_model(job: Job, done: int) -> None:
    st.warning(f"Cancelled after {done} of {job.total} {job.unit}s. Keep the partly trained model? It would be "
               "marked “partial”; the model in use does not change unless you keep it.", icon=":material/pause:")
    keep, drop = st.columns(2)
    if keep.button("Keep it (partial)", key="keep_partial", icon=":material/save:"):
        state.keep_partial_model("train")
        st.rerun()
    if drop.button("Discard it", key="discard_partial", icon=":material/delete:"):
        state.discard_job("train")
        st.rerun()


def tuning_progress(job: Job, spec: ModelSpec) -> None:
    """Live progress of a tuning job (trial k of n, best so far), its trials chart, cancel,
    and "use these settings" once it is done."""
    done, history = job.snapshot()
    best = max((h["best"] for h in history), default=None) if spec.metric != "rmse" else \
        min((h["best"] for h in history), default=None)
    best_text = f" · best validation {spec.metric.upper()} so far {best:.4f}" if best is not None else ""
    state_text = f"{job.elapsed:.0f} s" if job.running else f"{job.status} after {job.elapsed:.0f} s"
    st.progress(job.fraction, text=f"{job.name}: trial {done} of ~{job.total}{best_text} · {state_text}")
    if job.running and st.button("Cancel tuning", icon=":material/stop:", key="cancel_tune"):
        job.cancel()
    if history:
        trials = pd.DataFrame([h["row"] for h in history])
        st.plotly_chart(plots.tuning_trials(trials, spec.metric, _searched(spec)))
    if job.status == "failed":
        st.error(f"Tuning failed: {md(job.error)}", icon=":material/error:")
    elif job.result is not None:
        result = job.result[0]
        st.success(f"Validation {result.metric.upper()}: defaults {result.default_score:.4f} → tuned "
                   f"{result.best_score:.4f} ({len(result.trials)} trials). The tuned model was refitted and "
                   "scored on the held-out split below.", icon=":material/tune:")
        st.caption(md(" ".join(result.notes)))
        st.button("Use these settings", icon=":material/input:", on_click=use_settings,
                  args=(spec, result.best_params), help="Put the tuned values into the form above.")


def _searched(spec: ModelSpec) -> tuple[str, str]:
    return ("regularization", "unobserved_weight") if spec.name == "WALS" else ("learning_rate", "regularization")


# ---------------------------------------------------------------- results
def results_table(trained: dict[str, TrainedModel]) -> pd.DataFrame:
    """Each run's held-out metrics next to the popularity baseline's, as display text."""
    first = next(iter(trained.values()))
    rows = {"Popularity baseline": {**first.baseline_metrics}}
    for name, run in trained.items():
        rows[name] = {**run.metrics, "fit (s)": run.seconds if run.seconds else np.nan}
    table = pd.DataFrame(rows).T
    table = table[[c for c in table.columns if table[c].notna().any()]]
    return table.apply(lambda column: column.map(_cell))


def _cell(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(number) else f"{number:.3f}"


def parameters_table(trained: dict[str, TrainedModel]) -> pd.DataFrame:
    """Each run's parameters; values chosen from the data ("auto") shown as chosen."""
    rows = {}
    for name, run in trained.items():
        params = {k: v for k, v in run.params.items() if k != "model"}
        for fitted in ("confidence", "alpha"):
            chosen = getattr(run.model, f"{fitted}_", None)
            if params.get(fitted) == AUTO and chosen is not None:
                params[fitted] = f"auto → {chosen:.3g}" if isinstance(chosen, float) else f"auto → {chosen}"
        rows[name] = {k: f"{v:.4g}" if isinstance(v, float) else str(v) for k, v in params.items()}
    return pd.DataFrame(rows).T.fillna("")


def confidence_notes(trained: dict[str, TrainedModel]) -> list[str]:
    """Why each WALS run weighed its entries as it did (chosen from the data or given)."""
    notes = {name: getattr(run.model, "confidence_reason_", None) for name, run in trained.items()}
    return [f"{name}: {note}" for name, note in notes.items() if note]
