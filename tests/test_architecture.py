"""The house rules between the rooms (nodes/__init__.py), read from the source with `ast`:

- a node package never imports another node package, and nothing imports the two tools
  (`nodes/cli.py`, `nodes/setup`), which may import any node;
- one documented exception (ALLOWED_CROSSINGS): the regional service `nodes.region` is built
  from what the hubs send and may import `nodes.hub` (its events, report code, web helpers);
  nothing but the tools imports `nodes.region`;
- `common/` imports no node;
- no module is imported by a name computed at run time (`importlib.import_module`,
  `__import__`), so this graph is the whole graph;
- the pure cores import nothing that does I/O or reads the clock, and call no clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Tools, not nodes: they may import every node package, and no node imports them.
TOOLS = ("nodes.cli", "nodes.setup")
#: Rooms that may import another room, and why (importer room -> imported room).
ALLOWED_CROSSINGS = {
    # The region decodes the hubs' events with the hub's own code and computes the office
    # reports with it, so a region figure is the office's figure (nodes/region/__init__.py).
    ("nodes.region", "nodes.hub"): "the region reads the hubs' logs",
}
#: Modules allowed a run-time import, and why.
DYNAMIC_IMPORTS = {
    # `antrian <command>` loads only the chosen role: a kiosk never imports pygame.
    "nodes.cli": "dispatch",
}
#: The functional cores: rules and layouts that take the time as an argument.
PURE_CORES = (
    "common.bahasa",
    "common.wire",
    "nodes.hub.queue",
    "nodes.hub.events",
    "nodes.hub.views",
    "nodes.hub.reports.figures",
    "nodes.hub.reports.tables",
    "nodes.hub.reports.labels",
    "nodes.hub.web.live",
    "nodes.region.wire",
    "nodes.region.views",
    "nodes.kiosk.ticket",
    "nodes.kiosk.tiles",
    "nodes.kiosk.layout",
    "nodes.kiosk.gestures",
    "common.speech.phrase",
    "nodes.display.view",
    "nodes.counter.keys",
    "nodes.counter.view",
)
#: Modules that do I/O, read the clock or the entropy pool, or start threads.
IMPURE = {
    "os", "sys", "io", "time", "socket", "select", "sqlite3", "subprocess", "threading",
    "asyncio", "shutil", "tempfile", "pathlib", "logging", "random", "secrets", "uuid",
    "urllib", "http", "paho", "serial", "gpiozero", "evdev", "escpos", "pygame", "smbus2",
}  # fmt: skip
CLOCKS = {"datetime", "date", "datetime.datetime", "datetime.date"}
CLOCK_CALLS = {"now", "today", "utcnow"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, ast.Module]:
    files = sorted((ROOT / "common").rglob("*.py")) + sorted((ROOT / "nodes").rglob("*.py"))
    return {module_name(f): ast.parse(f.read_text(encoding="utf-8"), str(f)) for f in files}


SOURCES = sources()


def imports(tree: ast.Module) -> set[str]:
    """Every module a file imports, anywhere in it (a function's local import counts)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, "relative import: use the full name"
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def room(module: str) -> str:
    """The package a module lives in: `common`, a node (`nodes.hub`) or a tool."""
    parts = module.split(".")
    if parts[0] != "nodes" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def crossings() -> list[tuple[str, str]]:
    """(importer, imported) pairs that break the rule of nodes/__init__.py."""
    broken = []
    for module, tree in SOURCES.items():
        here = room(module)
        for name in imports(tree):
            there = room(name)
            if name == "nodes" or not name.startswith("nodes.") or there == here:
                continue
            if (here, there) in ALLOWED_CROSSINGS:
                continue
            if here == "common" or there in TOOLS or here not in TOOLS:
                broken.append((module, name))
    return broken


def test_no_room_imports_another_but_the_tools() -> None:
    assert "nodes.hub" in {room(m) for m in SOURCES}  # the walk found the nodes
    assert crossings() == []


def test_the_walk_sees_a_crossing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself can fail: each kind of crossing is caught."""
    cases = {
        "nodes.hub.acl": "from nodes.setup.bootfile import parse",  # a node importing a tool
        "nodes.kiosk.flow": "def f():\n    import nodes.counter.keys",  # node to node
        "common.mqtt": "from nodes.hub import views",  # common knowing a node
        "nodes.hub.views": "from nodes.region import web",  # the exception is one-way
        "nodes.region.web": "from nodes.kiosk import flow",  # and only towards the hub
    }
    for module, code in cases.items():
        monkeypatch.setitem(SOURCES, module, ast.parse(code))
    assert sorted(crossings()) == [
        ("common.mqtt", "nodes.hub"),
        ("common.mqtt", "nodes.hub.views"),
        ("nodes.hub.acl", "nodes.setup.bootfile"),
        ("nodes.hub.acl", "nodes.setup.bootfile.parse"),
        ("nodes.hub.views", "nodes.region"),
        ("nodes.hub.views", "nodes.region.web"),
        ("nodes.kiosk.flow", "nodes.counter.keys"),
        ("nodes.region.web", "nodes.kiosk"),
        ("nodes.region.web", "nodes.kiosk.flow"),
    ]


def dynamic_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "__import__":
            found.append("__import__")
        elif isinstance(node, ast.Attribute) and node.attr == "import_module":
            found.append("import_module")
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
            found += [a.name for a in node.names if a.name != "resources"]  # data, not code
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("importlib")]
    return found


def test_no_module_is_imported_by_a_computed_name() -> None:
    tricks = {m: dynamic_imports(t) for m, t in SOURCES.items() if dynamic_imports(t)}
    assert set(tricks) == set(DYNAMIC_IMPORTS), tricks
    assert dynamic_imports(ast.parse("import importlib\nimportlib.import_module('x')"))


def impurities(tree: ast.Module) -> list[str]:
    found = [name for name in imports(tree) if name.split(".")[0] in IMPURE]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            impure = func.attr in CLOCK_CALLS and ast.unparse(func.value) in CLOCKS
        else:
            impure = isinstance(func, ast.Name) and func.id in ("open", "print", "input")
        if impure:
            found.append(f"{ast.unparse(func)}() on line {node.lineno}")
    return found


@pytest.mark.parametrize("module", PURE_CORES)
def test_a_pure_core_does_no_io_and_reads_no_clock(module: str) -> None:
    assert module in SOURCES, f"{module} moved: update PURE_CORES"
    assert impurities(SOURCES[module]) == []


def test_impurities_are_seen() -> None:
    code = "import time\nfrom datetime import date\ndef f(q):\n    return q.today(date.today())\n"
    assert impurities(ast.parse(code)) == ["time", "date.today() on line 4"]
