import subprocess
import sys


def test_import_does_not_import_torch():
    code = ("import sys, sealseg; "
            "assert 'torch' not in sys.modules, 'import sealseg imported torch'; "
            "print(sorted(sealseg.__all__))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ers" in result.stdout


def test_public_names_are_exported():
    import sealseg
    for name in sealseg.__all__:
        assert callable(getattr(sealseg, name))


# --------------------------------------------------------------------------- layers

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(__file__).resolve().parent.parent / "sealseg"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """sealseg modules that ``path`` imports, anywhere in it (lazy imports too).

    Returns (all imports, module-level imports, whether torch is imported at
    module level).
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    tree = ast.parse(path.read_text())
    top_level = set(map(id, tree.body))
    found, at_top, torch_at_top = set(), set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            # ``from . import seal`` imports the module sealseg.seal
            targets = [f"{target}.{a.name}" for a in node.names
                       if f"{target}.{a.name}" in modules] or [target]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        if id(node) in top_level and any(t.split(".")[0] == "torch" for t in targets):
            torch_at_top = True
        targets = [t for t in targets if t in modules and t != name]
        found.update(targets)
        if id(node) in top_level:
            at_top.update(targets)
    return found, at_top, torch_at_top


def _graph():
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


NUMPY_LAYER = ["sealseg._validation", "sealseg._slic_arguments", "sealseg._spatial_prior",
               "sealseg.affinity", "sealseg._ers_core", "sealseg.segmentation",
               "sealseg._shape_metrics", "sealseg.pooling", "sealseg._metric_inputs",
               "sealseg._boundary_metrics", "sealseg.metrics"]
#: The inference room: the net, its weight files and records, inference, tiling.
INFERENCE_ROOM = ["sealseg.pan.inference", "sealseg.pan.pretrained", "sealseg.pan.tiling",
                  "sealseg.pan.model"]
# The core: everything but the tools (evaluation, collection, training, the command line).
CORE = NUMPY_LAYER + INFERENCE_ROOM + ["sealseg.seal"]
#: The command line: what reads argv and prints one-line errors.  Only these
#: modules may import one another.
COMMAND_LINE = ["sealseg.__main__", "sealseg._cli", "sealseg.evaluation.cli",
                "sealseg.evaluation.__main__", "sealseg.collection.cli", "sealseg.training.cli"]


def test_numpy_layer_knows_nothing_of_nets():
    graph = _graph()
    for name in NUMPY_LAYER:
        found, _, torch_at_top = graph[name]
        assert not torch_at_top, name
        assert found <= {"sealseg._ext", "sealseg._ext._ers", "sealseg._ext._ers_weights",
                         "sealseg._ext._fh",
                         "sealseg._ext._metrics", "sealseg._validation",
                         "sealseg._slic_arguments", "sealseg._spatial_prior",
                         "sealseg._ers_core", "sealseg._shape_metrics", "sealseg.pooling",
                         "sealseg._metric_inputs", "sealseg._boundary_metrics"}, (name, found)


def test_inference_registry_tiling_and_seal_do_not_import_torch_at_import_time():
    graph = _graph()
    for name in ["sealseg.pan.inference", "sealseg.pan.pretrained", "sealseg.pan.tiling",
                 "sealseg.seal", "sealseg"]:
        assert not graph[name][2], name


def _find_circle(graph):
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(name):]
                                                                 + [name]))
        if name in done:
            return
        path.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_import_circle_in_the_core():
    graph = {name: found & set(CORE) for name, (found, _, _) in _graph().items()
             if name in CORE}
    assert sorted(graph) == sorted(CORE)
    _find_circle(graph)


def test_no_import_circle_in_the_package():
    graph = {name: found for name, (found, _, _) in _graph().items()}
    _find_circle(graph)


def test_no_module_imports_the_package_face():
    # Every module imports what it uses from the module that defines it;
    # sealseg/__init__.py only hands the public names on.
    for name, (found, _, _) in _graph().items():
        if name != "sealseg":
            assert "sealseg" not in found, name


def test_no_library_module_imports_the_command_line():
    for name, (found, _, _) in _graph().items():
        if name not in COMMAND_LINE:
            assert not found & set(COMMAND_LINE), (name, found & set(COMMAND_LINE))


def test_the_inference_room_does_not_import_the_training_room():
    graph = _graph()
    for name in CORE:
        assert not {dep for dep in graph[name][0] if dep.startswith("sealseg.training")}, name


def test_no_module_imports_the_command_line_entry_point():
    for name, (found, _, _) in _graph().items():
        assert "sealseg.__main__" not in found, name
