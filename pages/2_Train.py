"""Train: fit a factorization (or tune one), watch it learn, compare held-out metrics with the baseline."""
import streamlit as st

from embedviz.dashboard import present, services, state
from embedviz.dashboard import train_view as view
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import setup_page
from embedviz.models.registry import MODELS, unique_name
from embedviz.viz import plots

data = setup_page("Train", ":material/model_training:")
present.for_an_audience("train", data)   # present mode: the plain version of this page, then stop
st.title("Train")
st.caption("Factorize A ≈ U Vᵀ: each user and item gets a vector; their dot product should reproduce the feedback.")
jobs = state.session_jobs()
busy = any(key in jobs and jobs[key].running for key in ("train", "tune"))

choice = st.radio("Model", list(MODELS), horizontal=True, format_func=lambda name: MODELS[name].label,
                  key="train_model")
spec = MODELS[choice]
st.markdown(spec.summary)
params, name, train_clicked, tune_clicked, budget = view.parameter_form(spec, busy)

if train_clicked:
    run_name = unique_name(name.strip() or spec.label, state.models())
    state.start_job("train", services.start_training(data, choice, params, run_name))
if tune_clicked:
    run_name = unique_name(f"{spec.label} (tuned)", state.models())
    state.start_job("tune", services.start_tuning(data, choice, budget, run_name, params["random_state"]))


polling = any(key in jobs and jobs[key].running for key in ("train", "tune"))   # a job just started counts
st.fragment(run_every=0.5 if polling else None)(view.jobs_panel)()

trained = state.models()
if trained:
    st.subheader("Held-out evaluation")
    st.caption("20 % of each user's interactions (their latest, when timestamps exist) were hidden during training "
               "and tuning. Every model must beat **popularity** — recommending the most popular unseen items to "
               "everyone. *fit (s)* is the time of fitting alone.")
    first = next(iter(trained.values()))
    rows = {"Popularity baseline": first.baseline_metrics, **{n: t.metrics for n, t in trained.items()}}
    ranking = [m for m in first.metrics if "@" in m and not m.startswith("coverage")]
    st.plotly_chart(plots.metrics_comparison(rows, ranking))
    for kind in dict.fromkeys(t.kind for t in trained.values()):
        if MODELS[kind].judged_by:
            st.caption(MODELS[kind].judged_by)
    st.dataframe(view.results_table(trained))
    with st.expander("Parameters of each run"):
        st.dataframe(view.parameters_table(trained))
        for note in view.confidence_notes(trained):
            st.caption(md(note))
