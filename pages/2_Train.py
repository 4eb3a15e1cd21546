"""Train: fit a factorization, watch it learn, compare held-out metrics with the baseline."""
import pandas as pd
import streamlit as st

from embedviz.dashboard import present, services, state
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import setup_page
from embedviz.models.registry import MODELS, unique_name
from embedviz.viz import plots

data = setup_page("Train", ":material/model_training:")
present.for_an_audience("train", data)   # present mode: the plain version of this page, then stop
st.title("Train")
st.caption("Factorize A ≈ U Vᵀ: each user and item gets a vector; their dot product should reproduce the feedback.")
jobs = state.session_jobs()

choice = st.radio("Model", list(MODELS), horizontal=True, format_func=lambda name: MODELS[name].label,
                  key="train_model")
spec = MODELS[choice]
st.markdown(spec.summary)

with st.form("train"):
    columns = st.columns(len(spec.params))
    params = {}
    for column, p in zip(columns, spec.params):
        kwargs = dict(min_value=p.low, max_value=p.high, value=p.default, help=p.help, key=f"{spec.name}_{p.name}")
        if p.is_int:
            params[p.name] = int(column.number_input(p.label, step=1, **kwargs))
        else:
            params[p.name] = float(column.number_input(p.label, step=p.default / 2, format="%g", **kwargs))
    name = st.text_input("Name this run", value=unique_name(spec.label, state.models()),
                         help="Train several configurations and compare them below.", key="train_name")
    busy = "train" in jobs and jobs["train"].running
    submitted = st.form_submit_button("Train", type="primary", icon=":material/play_arrow:", disabled=busy)

if submitted:
    state.start_job("train", services.start_training(data, choice, params,
                                                      unique_name(name.strip() or spec.label, state.models())))


def show_job() -> None:
    job = jobs.get("train")
    if job is None:
        return
    done, history = job.snapshot()
    st.progress(job.fraction, text=f"{job.name}: {job.unit} {done} of {job.total} · {job.elapsed:.1f} s · {job.status}")
    if job.running and st.button("Cancel", icon=":material/stop:"):
        job.cancel()
    if history:
        st.plotly_chart(plots.loss_curve(history, job.total))
    if job.status == "failed":
        st.error(f"Training failed: {md(job.error)}", icon=":material/error:")
    elif state.partial_model_waiting("train"):
        st.warning(f"Cancelled after {done} of {job.total} {job.unit}s. Keep the partly trained model? It would be "
                   "marked “partial”; the model in use does not change unless you keep it.", icon=":material/pause:")
        keep, drop = st.columns(2)
        if keep.button("Keep it (partial)", key="keep_partial", icon=":material/save:"):
            state.keep_partial_model("train")
            st.rerun()
        if drop.button("Discard it", key="discard_partial", icon=":material/delete:"):
            state.discard_job("train")
            st.rerun()
    elif state.keep_finished_model("train"):
        st.rerun()


st.fragment(run_every=0.5 if jobs.get("train") and jobs["train"].running else None)(show_job)()

trained = state.models()
if trained:
    st.subheader("Held-out evaluation")
    st.caption("20 % of each user's interactions (their latest, when timestamps exist) were hidden during training. "
               "Every model must beat **popularity** — recommending the most popular unseen items to everyone.")
    first = next(iter(trained.values()))
    rows = {"Popularity baseline": first.baseline_metrics}
    rows.update({n: t.metrics for n, t in trained.items()})
    ranking = [m for m in first.metrics if "@" in m and not m.startswith("coverage")]
    st.plotly_chart(plots.metrics_comparison(rows, ranking))
    for kind in dict.fromkeys(t.kind for t in trained.values()):
        if MODELS[kind].judged_by:
            st.caption(MODELS[kind].judged_by)
    table = pd.DataFrame(rows).T.astype(float)
    table["fit seconds"] = [float("nan")] + [t.seconds for t in trained.values()]
    st.dataframe(table.style.format("{:.3f}", na_rep="–"))
    with st.expander("Parameters of each run"):
        st.dataframe(pd.DataFrame({n: t.params for n, t in trained.items()}).T.astype(str))
