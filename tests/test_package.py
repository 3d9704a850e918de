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
