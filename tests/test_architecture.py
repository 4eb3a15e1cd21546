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
