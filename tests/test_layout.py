"""The package's shape: data flows one way through the stages, with no import cycle and a thin command line."""

import ast
from pathlib import Path

import bench

PACKAGE = Path(bench.__file__).parent
# The stages in the order data flows through them; a module may import only from its own stage or earlier. Files
# and progress serve every stage: how bytes reach the disk, and how long work reports itself.
STAGES = ("files", "progress", "data", "annotation", "models", "evaluation", "publishing", "workflows", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every bench module the file imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bench")}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            if target.startswith("bench"):
                found.add(target)
                submodules = {f"{target}.{alias.name}" for alias in node.names}
                found |= {m for m in submodules if (PACKAGE.parent / m.replace(".", "/")).with_suffix(".py").exists()}
    return found - {name}


MODULES = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def stage(module: str) -> int:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 else 0


def test_every_module_belongs_to_a_stage():
    assert all(len(m.split(".")) == 1 or m.split(".")[1] in STAGES for m in MODULES), sorted(MODULES)


def test_no_module_imports_from_a_later_stage():
    backward = [(m, i) for m, found in MODULES.items() for i in found if i in MODULES and stage(i) > stage(m)]
    assert backward == []


def test_no_import_cycle():
    # A package's __init__ may import its own modules; every other import is an edge.
    edges = {m: {i for i in found if i in MODULES and not i.startswith(m + ".")} for m, found in MODULES.items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for found in edges[todo.pop()] - seen:
                seen.add(found)
                todo.append(found)
        return seen

    assert [m for m in MODULES if m in reach(m)] == []


def test_the_command_line_only_parses_and_dispatches():
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert functions == {"parser", "main"}
    top_level = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top_level |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    # os and signal: how the process ends (SIGTERM as Ctrl-C, a closed pipe) belongs to the dispatcher; shutil and
    # textwrap wrap the help's descriptions to the terminal.
    assert top_level <= {"__future__", "argparse", "importlib", "os", "shutil", "signal", "sys", "textwrap", "files"}
