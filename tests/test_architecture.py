"""Structure rules from DESIGN.md that a test can enforce."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_dashboard_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "embedviz").rglob("*.py")
                 if "dashboard" not in p.parts and "streamlit" in _imports(p)]
    assert offenders == []


def test_app_never_imports_benchmark_peers():
    sources = [*(ROOT / "embedviz").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    offenders = [str(p.relative_to(ROOT)) for p in sources if _imports(p) & {"implicit", "surprise"}]
    assert offenders == []


def test_no_pickle_loading_anywhere():
    for path in [*(ROOT / "embedviz").rglob("*.py"), *(ROOT / "pages").glob("*.py")]:
        text = path.read_text()
        assert "allow_pickle=True" not in text, path
        assert "import pickle" not in text, path


def test_user_text_never_rendered_as_html():
    for path in [*(ROOT / "pages").glob("*.py"), ROOT / "app.py", *(ROOT / "embedviz" / "dashboard").glob("*.py")]:
        assert "unsafe_allow_html=True" not in path.read_text(), path


def test_runtime_dependencies_are_pinned():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert lines and all("==" in l for l in lines)
    names = {l.split("==")[0].lower() for l in lines}
    assert {"streamlit", "numpy", "pandas", "scipy", "numba", "umap-learn", "plotly", "pyarrow"} <= names


def test_streamlit_config_keeps_protections_on():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["server"]["maxUploadSize"] <= 1000
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"


def test_markdown_escape_shows_user_text_literally():
    from embedviz.dashboard.safe import md

    assert md("![x](http://e.vil/a.png) :red[boo] $x$") == (
        r"\!\[x\]\(http\://e\.vil/a\.png\) \:red\[boo\] \$x\$")
    assert md("Toy Story (1995)") == r"Toy Story \(1995\)"


# --------------------------------------------------------------------------- structure (issue 13)

CORE = [p for p in (ROOT / "embedviz").rglob("*.py") if "dashboard" not in p.parts]


def _embedviz_imports(path: Path) -> set[str]:
    """Full module names of every embedviz import in a file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.startswith("embedviz")}


def test_core_never_imports_the_dashboard():
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _embedviz_imports(p) if ".dashboard" in n)
                 for p in CORE}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_modules_stay_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in (ROOT / "embedviz").rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 500} == {}


def test_every_page_file_is_in_the_one_menu():
    from embedviz.dashboard.sidebar import PAGES

    files = {"app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))}
    assert files == {page.path for page in PAGES}


def test_public_names_resolve_and_are_typed_imports():
    import embedviz as ev

    for name in ev.__all__:
        assert getattr(ev, name) is not None, name
    assert ev.WALS.__module__ == "embedviz.models.wals"


def test_registry_parameters_are_constructor_parameters_with_valid_defaults():
    import inspect

    from embedviz.models.registry import MODELS

    for spec in MODELS.values():
        accepted = set(inspect.signature(spec.cls.__init__).parameters)
        assert {p.name for p in spec.params} <= accepted, spec.name
        assert spec.steps_param in accepted
        spec.build()._validate_params()           # the app's defaults are valid for the class
        defaults = spec.defaults()
        for p in spec.params:                     # numeric defaults lie in the form's range; choices are offered
            if p.kind == "choice":
                assert defaults[p.name] in p.choices
            elif defaults[p.name] != "auto":
                assert p.low <= defaults[p.name] <= p.high, (spec.name, p.name)


def test_models_saved_by_class_name_load_through_the_registry(tmp_path):
    import numpy as np
    import scipy.sparse as sp

    from embedviz.models.persistence import load_model
    from embedviz.models.registry import MODELS

    matrix = sp.random(12, 9, density=0.4, random_state=0, format="csr", dtype=np.float32)
    for spec in MODELS.values():
        model = spec.cls(**spec.warmup_params[0]).fit(matrix)
        model.save(tmp_path / f"{spec.name}.npz")
        loaded = load_model(tmp_path / f"{spec.name}.npz")
        assert type(loaded) is spec.cls
        np.testing.assert_array_equal(loaded.item_factors_, model.item_factors_)


def test_paths_work_from_an_installed_package(monkeypatch, tmp_path):
    from embedviz import paths

    assert (paths.demo_data_dir() / "demo_items.csv").is_file()
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path))
    assert paths.cache_dir() == tmp_path
    monkeypatch.delenv("EMBEDVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "embedviz"
