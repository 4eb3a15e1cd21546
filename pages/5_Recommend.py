"""Recommend: a real user's history and recommendations with reasons, a live new user, files."""
import streamlit as st

from embedviz.analysis import recommendations as recs
from embedviz.dashboard import links, maps, services, state
from embedviz.dashboard import recommend_view as view
from embedviz.dashboard.sidebar import require_model, setup_page
from embedviz.dashboard.story_state import showcase
from embedviz.viz import plots, story_plots

data = setup_page("Recommend", ":material/recommend:")
presenting = state.presenting()
st.title("Suggestions for a person" if presenting else "Recommendations")
state.show_flash()
names = ["A real person", "You"] if presenting else ["A real user", "Build a new user", "Save · load · export"]
tab_user, tab_new, *tab_files = st.tabs(names)

# Files first: a saved model can be opened before any model exists (require_model stops the page).
if tab_files:
    with tab_files[0]:
        view.open_saved_model()
        if state.active_model() is not None:
            st.divider()
            view.downloads(data, state.active_model())

trained = require_model()
params = links.read({"user": links.Text(), "k": links.Int(5, 50), "seen": links.Choice(("hide", "show"))})

with tab_user:
    user = view.pick_user(data, params.get("user"), presenting, default=showcase(data, trained)[1] if presenting else 0)
    k, exclude_seen = int(params.get("k", 10)), params.get("seen", "hide") == "hide"
    if not presenting:
        left, right = st.columns(2)
        k = left.slider("How many recommendations", 5, 50, k)
        exclude_seen = right.toggle("Hide items the user already has", value=exclude_seen)
    links.write(user=data.interactions.user_ids[user], k=k, seen="hide" if exclude_seen else "show")
    if presenting:
        view.present_person(data, trained, user, k)
    else:
        frame = view.user_recommendations(trained, data.items, user, k, exclude_seen)
        training = trained.train or data.interactions
        if "hit" in frame and trained.test is not None:
            st.success(f"The model never saw {trained.test.matrix[user].nnz} of this user's interactions (held "
                       f"out). **{int((frame['hit'] == '✓').sum())}** of them are in its top {k} (marked ✓).",
                       icon=":material/target:")
        # One above the other, full width: titles and reasons are read in full, not cut by a narrow column.
        st.markdown(f"**History** ({training.matrix[user].nnz} items in training)")
        st.dataframe(recs.history_frame(training, data.items, user).drop(columns=["item", "genres"]),
                     hide_index=True, height=250, column_config=view.HISTORY_COLUMNS)
        st.markdown("**Recommended** — and the items in the history that contribute most to each score")
        st.dataframe(frame, hide_index=True, height=420, column_config=view.recommendation_columns(frame))
        st.plotly_chart(view.user_map(data, trained, user, frame))

with tab_new:
    st.markdown("Pick a few things you like: the computer places you among everyone else and suggests what to try "
                "next, instantly." if presenting else
                "Pick a few items you like. The model folds a **new user** into the space — one exact solve "
                "against the fixed item vectors, no retraining — and recommends from there.")
    picked, values = view.pick_liked_items(data, data.titles)
    if picked:
        model = trained.model
        vector, ms = view.timed(model.fold_in, picked, values)
        frame, ms_rank = view.timed(recs.recommendation_frame, model, (picked, values), data.items, k=10,
                                    vector=vector, exclude=picked)
        if presenting:
            left, right = st.columns([3, 2])
            with left:
                view.present_new_person(data, trained, picked, values)
        else:     # the table full width, so the reasons column is on screen; the map under it
            st.caption(f"fold-in {ms:.1f} ms · scoring + reasons {ms_rank:.1f} ms")
            st.dataframe(frame, hide_index=True, column_config=view.recommendation_columns(frame))
            right = st.container()
        space = services.model_space(data, trained, "Items")
        xy = services.current_layout(space)
        where = story_plots.you_map if presenting else plots.new_user_map
        right.plotly_chart(where(xy, view.new_user_position(space, xy, vector), picked, frame.index.to_numpy(),
                                 maps.hover_texts(space)))
