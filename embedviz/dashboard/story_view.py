"""The story page's frame: the stepper, back/next, the report button, and a model to tell it with."""
from __future__ import annotations

import streamlit as st

from embedviz.analysis import story_steps as steps
from embedviz.dashboard import services, state
from embedviz.dashboard.records import Dataset, TrainedModel
from embedviz.dashboard.safe import md
from embedviz.dashboard.story_state import N_STEPS, STEP_KEY, Story, read_story
from embedviz.dashboard.story_steps_view import draw, report_html

__all__ = ["draw", "model_or_prepare", "navigation", "read_story", "stepper"]

# ---------------------------------------------------------------- stepper and navigation

def stepper(s: Story) -> None:
    st.session_state.setdefault("story_stepper", s.step)
    st.segmented_control("Step", list(range(1, N_STEPS + 1)), key="story_stepper",
                         format_func=lambda n: f"{n} · {steps.SHORT_TITLES[n - 1]}", label_visibility="collapsed",
                         on_change=_stepper_changed)
    st.caption(f"Step {s.step} of {N_STEPS}")
    st.title(steps.STEP_TITLES[s.step - 1], anchor=False)


def _stepper_changed() -> None:
    chosen = st.session_state.get("story_stepper")
    if chosen:                         # clicking the current step clears the control: stay
        st.session_state[STEP_KEY] = int(chosen)
    st.session_state["story_stepper"] = st.session_state[STEP_KEY]


def _go(step: int) -> None:
    st.session_state[STEP_KEY] = step
    st.session_state["story_stepper"] = step


def navigation(s: Story) -> None:
    """Back, the report, and Next (the one primary action, or the report on the last step)."""
    st.divider()
    back, middle, forward = st.columns([1, 2, 1], vertical_alignment="center")
    if s.step > 1:
        back.button("Back", icon=":material/arrow_back:", on_click=_go, args=(s.step - 1,), key="story_back",
                    use_container_width=True)
    with middle:
        download(s, primary=s.step == N_STEPS)
    if s.step < N_STEPS:
        forward.button(f"Next: {steps.SHORT_TITLES[s.step]}", icon=":material/arrow_forward:", type="primary",
                       on_click=_go, args=(s.step + 1,), key="story_next", use_container_width=True)


def download(s: Story, primary: bool = False) -> None:
    """The report button with the file's size. The file is built again when clicked (deterministic, ~0.3 s),
    so no session holds megabytes of HTML between clicks; only its size is kept per state of the story."""
    key = (s.data.digest, s.trained.name, s.user, s.item, tuple(s.picks), services.layout_running(s.space))
    sizes = st.session_state.setdefault("story_report_sizes", {})
    if key not in sizes:
        sizes.clear()
        sizes[key] = len(report_html(s).encode("utf-8"))
    st.download_button(f"Download the demo ({sizes[key] / 1e6:.1f} MB)", lambda: report_html(s).encode("utf-8"),
                       "embedviz-demo.html", "text/html", icon=":material/download:",
                       type="primary" if primary else "secondary", use_container_width=True, key="story_download",
                       help="One HTML file with every step as shown here. It opens in any browser without an "
                            "internet connection, so it can be kept or forwarded.")


# ---------------------------------------------------------------- before the story: a model

def model_or_prepare(data: Dataset) -> TrainedModel:
    """The model in use; without one, a single button that learns from the data (default settings)."""
    state.keep_finished_model("train")          # a run that finished while we were elsewhere
    trained = state.active_model()
    if trained is not None:
        return trained
    jobs = state.session_jobs()
    st.title("Before the story")
    st.markdown(f"The computer has not learned from **{md(data.name)}** yet. It takes a moment, once.")
    job = jobs.get("train")
    if job is None or not job.running:
        if st.button("Learn from this data", type="primary", icon=":material/play_arrow:", key="story_prepare"):
            from embedviz.models.registry import MODELS

            name = next(iter(MODELS))
            state.start_job("train", services.start_training(data, name, {}, MODELS[name].label))
            st.rerun()
        if job is not None and job.status == "failed":
            st.error(f"Learning failed: {md(job.error)}", icon=":material/error:")
        st.stop()

    def progress() -> None:
        current = jobs["train"]
        st.progress(current.fraction, text=f"Learning… {current.fraction:.0%}")
        if not current.running and state.keep_finished_model("train"):
            st.rerun()

    st.fragment(run_every=0.5)(progress)()
    st.stop()
    raise AssertionError("unreachable")   # st.stop() ends the run
