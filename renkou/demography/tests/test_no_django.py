"""renkou.demography must stay free of Django: a demographer can use it with NumPy alone."""

import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def test_importing_the_package_does_not_import_django():
    code = (
        "import sys\n"
        "import renkou.demography as d\n"
        "assert d.life_table and d.whipple and d.srb_interval\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    root = PACKAGE.parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr


def test_no_module_mentions_django_imports():
    for path in PACKAGE.glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            assert not (stripped.startswith(("import django", "from django"))), f"{path.name}: {line}"
