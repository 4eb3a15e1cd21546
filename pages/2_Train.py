"""Train: fit a factorization, watch it learn, compare held-out metrics with the baseline."""
import pandas as pd
import streamlit as st

from embedviz import plots
from embedviz.dashboard import services, state
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import setup_page
from embedviz.model_choices import MODELS, unique_name

data = setup_page("Train", ":material/model_training:")
st.title("Train")
st.caption("Factorize A ≈ U Vᵀ: each user and item gets a vector; their dot product should reproduce the feedback.")
jobs = state.session_jobs()

choice = st.radio("Model", list(MODELS), horizontal=True)
spec = MODELS[choice]
st.markdown(spec.summary)

with st.form("train"):
    columns = st.columns(len(spec.params))
    params = {}
    for column, p in zip(columns, spec.params):
        kwargs = dict(min_value=p.low, max_value=p.high, value=p.default, help=p.help)
        if p.is_int:
            params[p.name] = int(column.number_input(p.label, step=1, **kwargs))
        else:
            params[p.name] = float(column.number_input(p.label, step=p.default / 2, format="%g", **kwargs))
    name = st.text_input("Name this run", value=unique_name(choice, state.models()),
                         help="Train several configurations and compare them below.")
    busy = "train" in jobs and jobs["train"].running
    submitted = st.form_submit_button("Train", type="primary", icon=":material/play_arrow:", disabled=busy)

if submitted:
    name = unique_name(name.strip() or choice, state.models())
    jobs["train"] = services.start_training(data, choice, params, name)
    jobs["train_saved"] = False


def show_job() -> None:
    job = jobs.get("train")
    if job is None:
        return
    done, history = job.snapshot()
    st.progress(job.fraction, text=f"{job.name}: iteration {done} of {job.total} · {job.elapsed:.1f} s · {job.status}")
    if job.running and st.button("Cancel", icon=":material/stop:"):
        job.cancel()
    if history:
        st.plotly_chart(plots.loss_curve(history, job.total))
    if job.status == "failed":
        st.error(f"Training failed: {md(job.error)}", icon=":material/error:")
    elif not job.running and not jobs.get("train_saved"):
        jobs["train_saved"] = True
        if job.result is not None:
            state.add_model(job.result)
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
    if any(t.kind == "GradientDescentMF" for t in trained.values()):
        st.caption("Gradient-descent MF learns to predict the rating a user would give (judge it by RMSE / MAE). "
                   "Ranking every unseen item by predicted rating favours obscure items with a few high ratings, "
                   "so its ranking scores are low; WALS models *what people choose*, including what they skip.")
    table = pd.DataFrame(rows).T.astype(float)
    table["fit seconds"] = [float("nan")] + [t.seconds for t in trained.values()]
    st.dataframe(table.style.format("{:.3f}", na_rep="–"))
    with st.expander("Parameters of each run"):
        st.dataframe(pd.DataFrame({n: t.params for n, t in trained.items()}).T.astype(str))
