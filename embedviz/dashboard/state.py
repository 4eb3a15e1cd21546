"""Session state: the data set, the trained models, the selection — one visitor's own.

Everything a visitor uploads or trains lives in ``st.session_state`` only, so it
is never served to another session. The demo data set and its default model are
public and shared (see `embedviz.dashboard.services`).
"""
from __future__ import annotations

import streamlit as st

from embedviz.dashboard.records import Dataset, TrainedModel

_DATASET = "ev_dataset"
_MODELS = "ev_models"
_ACTIVE = "ev_active_model"
_SELECTION = "ev_selection"


def dataset() -> Dataset:
    """The data set in use; the embedded demo until the visitor loads their own."""
    if _DATASET not in st.session_state:
        from embedviz.dashboard import services

        demo = services.demo_dataset()
        st.session_state[_DATASET] = demo
        st.session_state[_MODELS] = {}
    return st.session_state[_DATASET]


def set_dataset(new: Dataset) -> None:
    """Switch to a new, already validated data set; its models and selection start empty."""
    st.session_state[_DATASET] = new
    st.session_state[_MODELS] = {}
    st.session_state.pop(_ACTIVE, None)
    st.session_state[_SELECTION] = []


def models() -> dict[str, TrainedModel]:
    """Models trained on the current data set, by name (the demo's default model included)."""
    data = dataset()
    found = st.session_state.setdefault(_MODELS, {})
    if data.is_demo and not found:
        from embedviz.dashboard import services

        default = services.demo_model()
        if default is not None:
            found[default.name] = default
    return found


def add_model(trained: TrainedModel) -> None:
    models()[trained.name] = trained
    st.session_state[_ACTIVE] = trained.name


def active_model() -> TrainedModel | None:
    """The model the pages use (chosen in the sidebar); None before any training."""
    available = models()
    if not available:
        return None
    name = st.session_state.get(_ACTIVE)
    if name not in available:
        name = next(reversed(available))
        st.session_state[_ACTIVE] = name
    return available[name]


def set_active_model(name: str) -> None:
    st.session_state[_ACTIVE] = name


def selection() -> list[int]:
    """Item indices selected on the Explore page (drives Neighbours and Recommend)."""
    return list(st.session_state.get(_SELECTION, []))


def set_selection(indices) -> None:
    st.session_state[_SELECTION] = [int(i) for i in indices]


def session_jobs() -> dict:
    """This visitor's background jobs by key (training, layouts of their own models)."""
    return st.session_state.setdefault("ev_jobs", {})


def start_job(key: str, job) -> None:
    """Keep a background job under ``key`` (replacing a finished one)."""
    jobs = session_jobs()
    jobs[key] = job
    jobs.pop(f"{key}_kept", None)


def keep_finished_model(key: str) -> bool:
    """Add the model of the training (or tuning) job under ``key`` to the models, once, when it finished.

    A tuning job's result is ``(TuneResult, TrainedModel)``; its model is the second.

    A cancelled job's partly trained model is not added: it waits for the visitor's choice
    (`keep_partial_model` or `discard_job`). Returns True when a model was just added (the
    page reruns to show it everywhere).
    """
    jobs = session_jobs()
    job = jobs.get(key)
    if job is None or job.running or jobs.get(f"{key}_kept") or partial_model_waiting(key):
        return False
    jobs[f"{key}_kept"] = True
    if job.result is None or job.status != "finished":
        return False
    add_model(job.result[1] if isinstance(job.result, tuple) else job.result)
    return True


def partial_model_waiting(key: str) -> bool:
    """Whether the job under ``key`` was cancelled with a usable model nobody has kept or discarded."""
    jobs = session_jobs()
    job = jobs.get(key)
    return (job is not None and job.status == "cancelled" and job.result is not None
            and not jobs.get(f"{key}_kept"))


def keep_partial_model(key: str) -> TrainedModel:
    """Keep a cancelled job's model, named "… (partial)" and marked ``partial``, as the model in use."""
    import dataclasses

    from embedviz.models.registry import unique_name

    jobs = session_jobs()
    result = jobs[key].result
    jobs[f"{key}_kept"] = True
    kept = dataclasses.replace(result, name=unique_name(f"{result.name} (partial)", models()), partial=True)
    add_model(kept)
    return kept


def discard_job(key: str) -> None:
    """Drop a cancelled job's partly trained model: the models stay as they were."""
    session_jobs()[f"{key}_kept"] = True


def flash(message: str) -> None:
    """A success message to show once after the next rerun."""
    st.session_state["ev_flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("ev_flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")


# ---------------------------------------------------------------- present mode

_PRESENT = "ev_present"


def presenting() -> bool:
    """True in present mode: technical controls and numbers hidden, plain words, larger type.

    Switched by the sidebar toggle or by ``?present=1`` (``?present=0`` switches it off) in any
    link; it stays on across pages for this visitor.
    """
    asked = st.query_params.get("present")
    if asked in ("0", "1"):
        st.session_state[_PRESENT] = asked == "1"
    return bool(st.session_state.get(_PRESENT, False))


def set_presenting(on: bool) -> None:
    """Switch present mode, and keep the URL saying so (a copied link opens the same way)."""
    st.session_state[_PRESENT] = bool(on)
    if on:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)
