"""The notebooks in ``notebooks/``: committed without outputs, and they run top to bottom.

Each notebook is executed with nbclient in a fresh kernel of this interpreter, from a
temporary working directory (nothing lands in the repository), with a few replications
(``BLOCKADE_NB_REPS``) and a non-interactive matplotlib backend. The notebooks assert their
own results (the validation notebook asserts that every analytic case is within tolerance
and the Venezuela baseline within the pre-blockade range); here we check that no cell
failed, that the figures were drawn and that the final checks printed their line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "python3"
REPS = "6"  # replications per experiment under test (the notebooks default to 200)
CELL_TIMEOUT = 180  # seconds allowed per cell

# notebook: (figures it must show at least, a line its last checks print)
EXPECTED = {
    "01_quickstart.ipynb": (5, "quickstart checks passed"),
    "02_policy_sweep.ipynb": (4, "policy sweep checks passed"),
    "03_validation.ipynb": (3, "validation quantities within tolerance"),
}


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _runs_this_python(name: str) -> bool:
    """Whether kernel ``name`` resolves to a kernelspec that starts this interpreter.

    jupyter_client replaces a bare ``python``/``python3``/``pythonX.Y`` in the spec's argv
    with ``sys.executable`` (so ipykernel's bundled spec in ``<venv>/share/jupyter`` is fine);
    any other path must be this interpreter itself (not merely a symlink to the same binary,
    which would run outside the virtual environment).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(name).argv
    except NoSuchKernel:
        return False
    if not argv:
        return False
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    return argv[0] in bare or os.path.abspath(argv[0]) == os.path.abspath(sys.executable)


@pytest.fixture(scope="session")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment under which kernel ``python3`` runs this interpreter.

    Normally empty: ipykernel installs a ``python3`` spec into the environment. If another
    spec shadows it (e.g. a user-level one for another Python), a spec for this interpreter
    is written to a temporary folder put first on ``JUPYTER_PATH``.
    """
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if _runs_this_python(KERNEL):
        return {}
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_json = {"argv": argv, "display_name": "Python 3 (tests)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(spec_json), encoding="utf-8")
    path = os.pathsep.join(p for p in (str(root), os.environ.get("JUPYTER_PATH")) if p)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", path)
        assert _runs_this_python(KERNEL), "could not point kernel python3 at this interpreter"
    return {"JUPYTER_PATH": path}


def _execute(nb, cwd: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    from nbclient import NotebookClient

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "\n".join(data.get(k, "") for k in ("text/plain", "text/markdown"))


def test_expected_notebooks_present():
    if not NOTEBOOKS.is_dir():
        pytest.skip("no notebooks/ folder (not a source checkout)")
    missing = sorted(set(EXPECTED) - {p.name for p in notebook_paths()})
    assert not missing, f"notebooks missing from {NOTEBOOKS}: {missing}"


def test_kernel_runs_this_interpreter(tmp_path, monkeypatch, kernel_env):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys, sim\nprint(sys.executable)")]
    _execute(nb, tmp_path, kernel_env, monkeypatch)
    printed = _text(nb.cells[0].outputs[0]).strip()
    assert printed == sys.executable


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    try:
        import nbformat
    except ImportError:  # pragma: no cover - nbformat comes with the dev extras
        pass
    else:
        nbformat.validate(nbformat.from_dict(nb))
    how = "clear the outputs before committing (JupyterLab: Edit > Clear Outputs of All Cells)"
    assert nb["metadata"].get("kernelspec", {}).get("name") == KERNEL
    extra = set(nb["metadata"]) - {"kernelspec", "language_info"}
    assert not extra, f"{path.name}: notebook metadata {sorted(extra)}; keep it minimal"
    for i, cell in enumerate(nb["cells"]):
        where = f"{path.name} cell {i}"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{where} has outputs: {how}"
            assert cell["execution_count"] is None, f"{where} has an execution count: {how}"
        assert not cell.get("attachments"), f"{where} has attachments"
        extra = set(cell.get("metadata", {})) - {"tags"}
        assert not extra, f"{where}: cell metadata {sorted(extra)}; keep it minimal"


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, monkeypatch, kernel_env):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    env = {**kernel_env, "BLOCKADE_NB_REPS": REPS, "MPLBACKEND": "Agg"}
    _execute(nb, tmp_path, env, monkeypatch)  # raises CellExecutionError on a failing cell

    outputs = _outputs(nb)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, [f"{o['ename']}: {o['evalue']}" for o in errors]
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    text = "\n".join(_text(o) for o in outputs)
    min_figures, line = EXPECTED.get(path.name, (0, None))
    assert figures >= min_figures, f"{path.name}: {figures} figures, expected {min_figures}+"
    if line is not None:
        assert line in text, f"{path.name}: its final checks did not print {line!r}"
    assert not any(tmp_path.iterdir()), f"{path.name} wrote files: {list(tmp_path.iterdir())}"
