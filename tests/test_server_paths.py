"""Server-side files: off by default; when on, only inside the operator's folder."""
import os

import pytest

from embedviz.data.server_paths import ENV_VAR, allowed_folder, list_openable, resolve_inside
from embedviz.errors import DataError


@pytest.fixture
def folder(tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "sub").mkdir(parents=True)
    (allowed / "a.parquet").write_bytes(b"x")
    (allowed / "sub" / "b.npy").write_bytes(b"x")
    (allowed / "notes.md").write_text("x")
    (allowed / ".hidden.npy").write_bytes(b"x")
    (tmp_path / "secret.npy").write_bytes(b"x")
    os.symlink(tmp_path / "secret.npy", allowed / "link.npy")
    return allowed


def test_off_by_default(folder):
    assert allowed_folder({}) is None
    assert allowed_folder({ENV_VAR: "  "}) is None
    with pytest.raises(DataError, match="switched off"):
        resolve_inside("a.parquet", allowed_folder({}))


def test_off_in_this_process_unless_the_operator_set_it(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert allowed_folder() is None


def test_inside_the_folder_is_allowed(folder):
    on = allowed_folder({ENV_VAR: str(folder)})
    assert resolve_inside("a.parquet", on) == (folder / "a.parquet").resolve()
    assert resolve_inside("sub/b.npy", on) == (folder / "sub" / "b.npy").resolve()
    assert resolve_inside(str(folder / "sub" / "b.npy"), on) == (folder / "sub" / "b.npy").resolve()


@pytest.mark.parametrize("path", ["../secret.npy", "sub/../../secret.npy", "link.npy", "/etc/passwd",
                                  "~/.bashrc"])
def test_traversal_is_refused(folder, path):
    on = allowed_folder({ENV_VAR: str(folder)})
    with pytest.raises(DataError, match="outside the folder"):
        resolve_inside(path, on)


def test_absolute_path_outside_is_refused(folder, tmp_path):
    on = allowed_folder({ENV_VAR: str(folder)})
    with pytest.raises(DataError, match="outside the folder"):
        resolve_inside(str(tmp_path / "secret.npy"), on)


def test_missing_and_empty(folder):
    on = allowed_folder({ENV_VAR: str(folder)})
    with pytest.raises(DataError, match="no such file"):
        resolve_inside("nope.npy", on)
    with pytest.raises(DataError, match="file name"):
        resolve_inside("", on)


def test_a_folder_that_does_not_exist_is_a_configuration_error(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        allowed_folder({ENV_VAR: str(tmp_path / "missing")})


def test_listing_shows_vector_files_inside_only(folder):
    assert list_openable(folder) == ["a.parquet", "sub/b.npy"]
