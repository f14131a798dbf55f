"""The ACD's Lua scripts are package data: every file in contactcenter/acd/lua/ is shipped by the
package build and loaded as a script (or, for library.lua, prepended to each)."""

from __future__ import annotations

import fnmatch
import pathlib
import tomllib

from contactcenter.acd import realtime

ROOT = pathlib.Path(__file__).resolve().parents[2]
LUA_DIR = ROOT / "contactcenter" / "acd" / "lua"


def test_the_package_data_ships_every_lua_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["contactcenter"]
    files = sorted(p.relative_to(ROOT / "contactcenter").as_posix() for p in LUA_DIR.iterdir())
    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []


def test_every_script_file_is_loaded_with_the_library_in_front() -> None:
    scripts = {p.stem for p in LUA_DIR.glob("*.lua")} - {"library"}
    assert set(realtime._LUA) == scripts
    assert realtime._LUA_LIBRARY == (LUA_DIR / "library.lua").read_text()
    assert realtime._LUA_LIBRARY.rstrip().endswith("end")  # the library closes before any entry point
