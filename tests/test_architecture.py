"""The layout's rules, checked on every run (docs/architecture.md explains them).

- the import-linter contracts in pyproject.toml: pure packages import no I/O, the layers
  only import downwards, and the parts (auth, spawner, the workshop service) are
  independent of each other;
- no import cycles anywhere in hubtypes (counting imports inside functions, too);
- no module over 400 lines.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.lint


def test_import_linter_contracts(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)  # it reads pyproject.toml from the working directory
    status = lint_imports(no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert status == 0, out[-4000:]
    assert "0 broken" in out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph.modules:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("hubtypes", cache_dir=None)
    # a package's __init__ importing its own submodule is how packages work, not a cycle
    for module in list(graph.modules):
        for child in graph.find_children(module):
            if graph.direct_import_exists(importer=module, imported=child):
                graph.remove_import(importer=module, imported=child)
    assert _cycles(graph) == []


def test_no_module_over_400_lines() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text().splitlines())
        for p in (ROOT / "hubtypes").rglob("*.py")
    }
    assert {p: n for p, n in sizes.items() if n > 400} == {}
