"""Story: a guided five-step demo in plain words, every step a shareable link, and a report to keep."""
from embedviz.dashboard import story_view as story
from embedviz.dashboard.sidebar import setup_page

data = setup_page("Story", ":material/slideshow:")
trained = story.model_or_prepare(data)
current = story.read_story(data, trained)
story.stepper(current)
story.draw(current)
story.navigation(current)
