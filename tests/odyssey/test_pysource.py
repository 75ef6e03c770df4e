"""odyssey.pysource: Python files parsed once, the repository's packages, and symbol lookups by reading source."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.project import Project
from odyssey.pysource import package_dirs, parse_source, python_index
from tests.odyssey.helpers import make_repo


LENET = {
    "lenet5/__init__.py": '"""LeNet-5."""\nfrom lenet5.model import LeNet5\n',
    "lenet5/model.py": (
        "from dataclasses import dataclass\n"
        "from lenet5.layers.base import Layer\n\n"
        "class LeNet5(Layer):\n"
        "    variant: str = 'modern'\n\n"
        "    def __init__(self):\n"
        "        self.params = {}\n\n"
        "    def forward(self, x):\n"
        "        self.cache = x\n"
        "        return x\n\n"
        "@dataclass\n"
        "class Config:\n"
        "    epochs: int = 10\n\n"
        "class Weights(dict):\n"
        "    pass\n\n"
        "try:\n"
        "    import torch\n"
        "    HAVE_TORCH = True\n"
        "except ImportError:\n"
        "    HAVE_TORCH = False\n"
    ),
    "lenet5/layers/__init__.py": "from .base import Layer\nfrom .conv import *\n",
    "lenet5/layers/base.py": "class Layer:\n    def backward(self, grad):\n        return grad\n",
    "lenet5/layers/conv.py": "class Conv2d:\n    pass\n",
    "lenet5/lazy.py": "def __getattr__(name):\n    raise AttributeError(name)\n",
    "lenet5/train.py": "def fit(model):\n    return model\n",
}


def test_parse_source_never_raises() -> None:
    assert parse_source("a.py", "x = 1\n").tree is not None
    broken = parse_source("b.py", "def f(:\n    pass\n")
    assert broken.tree is None and broken.error is not None
    assert broken.error[0] == 1 and broken.error[2].startswith("SyntaxError")
    assert parse_source("c.py", "x = '\0'\0\n").tree is None
    assert parse_source("d.py", None).error == (1, 1, "cannot read the file")
    assert parse_source("e.py", "(" * 500 + ")" * 500).error is not None  # too deeply nested for the parser


def test_packages_from_setuptools_package_dir(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "pyproject.toml": '[tool.setuptools]\npackage-dir = {"odyssey" = "tools/odyssey", "lenet5" = "lenet5"}\n',
        "tools/odyssey/__init__.py": "",
        "lenet5/__init__.py": "",
        "tests/__init__.py": "",  # a top-level package, but not one of the distribution's
    })
    assert package_dirs(project) == {"odyssey": "tools/odyssey", "lenet5": "lenet5"}
    index = python_index(project)
    assert index.top_level_packages == {"odyssey", "lenet5"}
    assert index.module_file("odyssey") == "tools/odyssey/__init__.py"
    assert index.module_file("tests") is None
    assert index.module_file("tests", fallback_to_root=True) == "tests/__init__.py"


def test_packages_from_a_src_base_or_find_where(tmp_path: Path) -> None:
    base = make_repo(tmp_path / "a", {
        "pyproject.toml": '[tool.setuptools]\npackage-dir = {"" = "src"}\n',
        "src/digits/__init__.py": "", "src/digits/model.py": "", "scripts/__init__.py": "",
    })
    assert package_dirs(base) == {"digits": "src/digits"}
    found = make_repo(tmp_path / "b", {
        "pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
        "lib/digits/__init__.py": "",
    })
    assert package_dirs(found) == {"digits": "lib/digits"}


def test_packages_guessed_without_configuration(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "odyssey.toml": "",  # the configuration is here, so odyssey's config loader never reads pyproject.toml
        "pyproject.toml": "[project\n",  # invalid TOML: packages are guessed, not a crash
        "lenet5/__init__.py": "", "src/helpers/__init__.py": "", "docs/conf.py": "", "my-tool/__init__.py": "",
    })
    assert package_dirs(project) == {"lenet5": "lenet5", "helpers": "src/helpers"}


def test_sources_are_parsed_once_and_cached_per_project(tmp_path: Path) -> None:
    project = make_repo(tmp_path, LENET)
    index = python_index(project)
    assert python_index(project) is index
    assert index.source("lenet5/model.py") is index.source("lenet5/model.py")
    assert python_index(Project(tmp_path)) is not index


@pytest.mark.parametrize(("dotted", "status", "missing"), [
    ("lenet5.model.LeNet5", "found", None),
    ("lenet5.LeNet5", "found", None),  # re-exported by the package
    ("lenet5.LeNet5.forward", "found", None),  # followed through the re-export
    ("lenet5.model.LeNet5.params", "found", None),  # self.params in __init__
    ("lenet5.model.LeNet5.cache", "found", None),  # self.cache in another method
    ("lenet5.model.LeNet5.variant", "found", None),  # class attribute
    ("lenet5.model.LeNet5.backward", "found", None),  # inherited from a repository class
    ("lenet5.model.Config.epochs", "found", None),  # dataclass field
    ("lenet5.model.Weights.items", "found", None),  # a base from elsewhere: cannot tell
    ("lenet5.model.HAVE_TORCH", "found", None),  # bound in try/except
    ("lenet5.layers.Conv2d", "found", None),  # star import: cannot tell
    ("lenet5.lazy.anything", "found", None),  # module __getattr__
    ("lenet5.model.LeNet5.forward.__doc__", "found", None),  # attributes of members: cannot tell
    ("lenet5.train:fit", "found", None),
    ("lenet5.model.LeNet6", "missing-name", "LeNet6"),
    ("lenet5.model.LeNet5.predict", "missing-member", "predict"),
    ("lenet5.training.fit", "missing-module", "lenet5.training"),
    ("lenet5.nn.conv.Conv2d", "missing-module", "lenet5.nn"),
    ("numpy.testing.assert_allclose", "not-ours", None),
])
def test_lookup(tmp_path: Path, dotted: str, status: str, missing: str | None) -> None:
    lookup = python_index(make_repo(tmp_path, LENET)).lookup(dotted)
    assert (lookup.status, lookup.missing) == (status, missing)


def test_lookup_names_the_module_and_class(tmp_path: Path) -> None:
    index = python_index(make_repo(tmp_path, LENET))
    lookup = index.lookup("lenet5.model.LeNet5.predict")
    assert (lookup.module, lookup.path, lookup.owner) == ("lenet5.model", "lenet5/model.py", "lenet5.model.LeNet5")


def test_a_module_that_does_not_parse_hides_nothing(tmp_path: Path) -> None:
    index = python_index(make_repo(tmp_path, {"pkg/__init__.py": "", "pkg/broken.py": "def f(:\n"}))
    assert index.lookup("pkg.broken.anything").status == "found"


def test_definers_and_modules_named(tmp_path: Path) -> None:
    index = python_index(make_repo(tmp_path, LENET))
    assert index.definers("fit") == ["lenet5.train"]
    assert index.definers("LeNet5") == ["lenet5.model"]  # the package only imports it
    assert index.modules_named("conv") == ["lenet5.layers.conv"]
    assert "lenet5.layers.base" in index.own_modules()
