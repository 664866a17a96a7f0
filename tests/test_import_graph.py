"""No import circle between the modules of ``app/`` (issue 16): views/api → services → models,
jobs → services through the task registry, and nothing imports a view.

Two checks:

- the **import graph**, read from the source with ``ast``: every import of another ``app``
  module, at module level and inside functions (a function-level import is a circle that only
  waits for its first call), except under ``if TYPE_CHECKING:``. ``from pkg import name`` counts
  as importing the submodule ``pkg.name`` when there is one, else ``pkg`` itself (its
  ``__init__``). A parent package is not an edge by itself: Python runs it before any module
  inside it, so it can never be half-imported by its child's import;
- each module **imported alone** in a fresh interpreter (forked from one that has loaded only
  third-party packages), so a module that works only when something else was imported first is
  caught too.

``make lint`` runs the first one: ``python -m tests.test_import_graph``.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "app"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    """Every module of ``app/`` by dotted name (a package by its own name, for its ``__init__``)."""
    return {module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Import statements anywhere in the tree, except the body of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, source: str, is_package: bool, modules) -> dict[str, int]:
    """The ``app`` modules that module ``name`` (its ``source``) imports, each with the line of its
    first import; ``modules`` holds every module name of ``app/``."""
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        while target and target not in modules:  # `import app.x.Thing` style: the nearest module
            target = target.rpartition(".")[0]
        if target and target != name:
            found.setdefault(target, line)

    for node in _import_nodes(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name, node.lineno)
            continue
        if node.level:
            base = package.split(".")
            base = base[:len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source != PACKAGE and not source.startswith(PACKAGE + "."):
            continue
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            add(submodule if submodule in modules else source, node.lineno)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    modules = app_modules()
    return {name: imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", modules)
            for name, path in modules.items()}


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan), each of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def _shortest_path(graph, start: str, goal: str, allowed: set[str]) -> list[str]:
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for child in sorted(graph[node]):
            if child in allowed and child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"{goal} unreachable from {start} inside its group")


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Import circles to read: for every import inside a group of mutually reachable modules, the
    shortest circle through it (so each import that keeps a circle closed is shown at least once)."""
    found: dict[tuple[str, ...], list[str]] = {}
    for group in strongly_connected(graph):
        members = set(group)
        for source in group:
            for target in sorted(graph[source]):
                if target not in members:
                    continue
                circle = [source] + _shortest_path(graph, target, source, members)
                start = circle.index(min(circle[:-1]))
                canonical = tuple(circle[start:-1] + circle[:start])
                found.setdefault(canonical, list(canonical) + [canonical[0]])
    return list(found.values())


def describe(graph: dict[str, dict[str, int]], circle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in zip(circle, circle[1:], strict=False)]
    return " -> ".join(steps + [circle[-1]])


def report(graph: dict[str, dict[str, int]]) -> str:
    groups = strongly_connected(graph)
    circles = cycles(graph)
    lines = [f"{len(groups)} group(s) of modules in an import circle, {len(circles)} circle(s):"]
    for group in groups:
        lines.append(f"\n  group of {len(group)}: {', '.join(group)}")
        for circle in circles:
            if circle[0] in group:
                lines.append(f"    {describe(graph, circle)}")
    return "\n".join(lines)


def test_the_graph_reader_sees_imports_of_every_kind():
    """The reader itself: a circle through a function-level import and a relative
    ``from . import submodule`` is found; an import under ``if TYPE_CHECKING:`` is not an edge."""
    files = {
        "app": "",
        "app.a": "from . import b\n",
        "app.b": "def f():\n    from .c import thing\n",
        "app.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n",
    }
    graph = {name: imports_of(name, source, name == "app", files) for name, source in files.items()}
    assert graph["app.a"] == {"app.b": 1} and graph["app.b"] == {"app.c": 2} and graph["app.c"] == {}
    assert cycles(graph) == []
    graph["app.c"]["app.a"] = 9
    assert cycles(graph) == [["app.a", "app.b", "app.c", "app.a"]]


def test_no_import_circle_between_app_modules():
    graph = import_graph()
    assert len(graph) > 50, "the reader found too few modules in app/"
    assert not strongly_connected(graph), report(graph)


def _inside(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_the_layers_import_downwards_only():
    """docs/ARCHITECTURE.md, "What may import what": models, services and jobs never import a
    screen (views, api), the API never imports a page; in jobs only ``tasks`` imports services
    (the rest reach them by task name)."""
    graph = import_graph()
    wrong = [f"{source} -> {target} (line {line})" for source, targets in sorted(graph.items())
             for target, line in sorted(targets.items())
             if (_inside(source, "app.models", "app.services", "app.jobs") and _inside(target, "app.views", "app.api"))
             or (_inside(source, "app.api") and _inside(target, "app.views"))
             or (_inside(source, "app.jobs") and source != "app.jobs.tasks" and _inside(target, "app.services"))
             or (_inside(source, "app.models", "app.services") and _inside(target, "app.jobs.tasks"))]
    assert not wrong, "\n".join(wrong)


_IMPORT_EACH_ALONE = r"""
import importlib, json, os, sys, traceback
work = json.load(sys.stdin)
for name in work["preload"]:  # modules from outside app only, loaded once before the forks
    try:
        importlib.import_module(name)
    except Exception:
        pass
running, failed = {}, []


def finish():
    pid, status = os.wait()
    name, out = running.pop(pid)
    report = os.read(out, 60000).decode(errors="replace")
    os.close(out)
    if status:
        failed.append(name)
        sys.stdout.write(f"--- {name}\n{report}")


for name in work["modules"]:
    if len(running) >= work["at_once"]:
        finish()
    out, into = os.pipe()
    pid = os.fork()
    if pid == 0:  # a child imports one module and exits
        os.close(out)
        try:
            importlib.import_module(name)
        except BaseException:
            os.write(into, traceback.format_exc()[-50000:].encode())
            os._exit(1)
        os._exit(0)
    os.close(into)
    running[pid] = (name, out)
while running:
    finish()
print(f"{len(work['modules']) - len(failed)} of {len(work['modules'])} modules import alone; failed: {sorted(failed)}")
sys.exit(1 if failed else 0)
"""


def third_party_imports() -> list[str]:
    """The modules from outside ``app`` that ``app`` imports (the standard library, packages, ``config``)."""
    found = set()
    for path in app_modules().values():
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif not node.level and node.module:
                found.add(node.module)
    return sorted(name for name in found if name != PACKAGE and not name.startswith(PACKAGE + "."))


def test_each_app_module_imports_alone():
    """Each module imported first in a fresh interpreter (forked from one that loaded only what
    ``app`` imports from outside): none needs another module imported before it."""
    import json

    work = {"preload": third_party_imports(), "modules": sorted(app_modules()), "at_once": os.cpu_count() or 1}
    done = subprocess.run([sys.executable, "-c", _IMPORT_EACH_ALONE], cwd=ROOT, input=json.dumps(work),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert f"{len(work['modules'])} of {len(work['modules'])} modules import alone" in done.stdout, done.stdout


def main() -> int:
    graph = import_graph()
    if strongly_connected(graph):
        print(report(graph))
        return 1
    print(f"import graph: {len(graph)} modules of app/, no import circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
