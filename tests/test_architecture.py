"""The layout rules a newcomer relies on: no import cycles, small modules, the engine's seam."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflows", "history", "keystroke_site")
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    resolved = set()
    for target in targets:
        # "from a.b import c" imports a.b.c when c is a module, else a.b.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {name: imports_of(name, path, known) for name, path in found.items()}
    # A package's __init__ re-exporting its modules is not a cycle with them.
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in graph.items()
    }


def test_no_module_imports_one_that_imports_it_back_even_inside_a_function() -> None:
    assert cycles(import_graph()) == []


def test_no_module_is_longer_than_500_lines_tests_and_benchmarks_included() -> None:
    paths = [
        path
        for folder in (*PACKAGES, "tests", "bench", "examples", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        # bench/.venv-dbos: the DBOS comparison's own virtualenv, not the project's code
        if "migrations" not in path.parts and not any(p.startswith(".venv") for p in path.parts)
    ]
    long = {
        str(path.relative_to(ROOT)): n
        for path in paths
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert len(paths) > 200 and long == {}


def test_the_replay_core_imports_neither_django_nor_celery() -> None:
    engine = [path for name, path in modules().items() if name.startswith("workflows.engine")]
    for path in engine:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] in ("django", "celery", "kombu")], path


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


RECORD_MODELS = {
    "Run",
    "Step",
    "UsageItem",
    "Span",
    "LogRecord",
    "TriggerState",
    "TriggerDelivery",
    "MetricIncrement",
    "MetricTotal",
}
WRITES = {"create", "bulk_create", "bulk_update", "update", "delete", "get_or_create"}
WRITES |= {"update_or_create"}
RECORD_TABLES = re.compile(
    r"\b(INSERT INTO|UPDATE|DELETE FROM|COPY)\s+history_"
    r"(run|step|usageitem|span|logrecord|triggerstate|triggerdelivery|metricincrement|metrictotal)\b"
)


def record_writes(path: Path) -> list[str]:
    """ORM writes through a record model's manager, and SQL that writes a record table."""
    found = []
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in WRITES:
                continue
            receiver: ast.expr = node.func.value
            chain = []
            while isinstance(receiver, ast.Call | ast.Attribute):
                if isinstance(receiver, ast.Attribute):
                    chain.append(receiver.attr)
                    receiver = receiver.value
                else:
                    receiver = receiver.func
            if isinstance(receiver, ast.Name) and receiver.id in RECORD_MODELS:
                if "objects" in chain:
                    found.append(f"{path.name}:{node.lineno} {receiver.id}.{node.func.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if match := RECORD_TABLES.search(node.value):
                found.append(f"{path.name}:{node.lineno} {match[0]}")
    return found


def test_runs_steps_traces_and_trigger_rows_are_written_only_by_the_store() -> None:
    outside = {
        name: writes
        for name, path in modules().items()
        if not name.startswith("workflows.store")
        if (writes := record_writes(path))
    }
    assert outside == {}


def test_the_write_finder_finds_orm_and_sql_writes(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Run.objects.filter(pk=1).update(status='x')\nTriggerState.objects.get_or_create(key='k')\n"
        "Step.objects.filter(run=r).values('id')\n"
        "SQL = 'DELETE FROM history_span WHERE run_id = %s'\n"
    )
    assert len(record_writes(sample)) == 3
