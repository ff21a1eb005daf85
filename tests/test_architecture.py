"""The layout's rules, checked on every run (docs/architecture.md explains them).

- the import-linter contracts in pyproject.toml: pure packages import no I/O, the layers
  only import downwards, and the parts (auth, spawner, the workshop service) are
  independent of each other;
- no import cycles anywhere in hubtypes (counting imports inside functions, too);
- no module over 400 lines;
- the package tree in docs/architecture.md lists every module, and nothing else.
"""

from __future__ import annotations

import re
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


def _tree_paths(text: str) -> set[str]:
    """The file paths of the ``hubtypes/`` tree in docs/architecture.md (``├── name`` lines,
    four columns a level)."""
    block = text.split("```\nhubtypes/\n", 1)[1].split("```", 1)[0]
    paths: set[str] = set()
    stack: list[str] = []  # the directories above the current line
    for line in block.splitlines():
        match = re.match(r"^((?:│   |    )*)(?:├── |└── )(\S+)", line)
        assert match, f"not a tree line: {line!r}"
        depth, name = len(match.group(1)) // 4, match.group(2)
        del stack[depth:]
        if name.endswith("/"):
            stack.append(name)
        else:
            paths.add("hubtypes/" + "".join(stack) + name)
    return paths


def test_the_documented_tree_is_the_package() -> None:
    documented = _tree_paths((ROOT / "docs/architecture.md").read_text())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "hubtypes").rglob("*.py")}
    # an empty __init__.py only makes a package: the tree need not list it
    required = {
        m for m in modules if not (m.endswith("/__init__.py") and not (ROOT / m).read_text())
    }
    assert sorted(required - documented) == [], "modules missing from docs/architecture.md"
    assert sorted(documented - modules) == [], "docs/architecture.md lists what is not there"


def test_the_command_lines_contract_names_every_service_internal() -> None:
    """The contract "the command line reaches the services only through hub_config" lists
    the workshop service's modules one by one: a module added later must be listed too."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (cli,) = [c for c in contracts["contracts"] if c.get("source_modules") == ["hubtypes.cli"]]
    package = ROOT / "hubtypes/services/workshop"
    internals = {
        f"hubtypes.services.workshop.{p.stem if p.is_file() else p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists())
        and p.stem not in {"__init__", "__main__", "hub_config"}
    }
    assert sorted(internals - set(cli["forbidden_modules"])) == []
