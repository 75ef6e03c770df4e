"""Python sources as the checks see them: each file parsed once with ``ast``, and an index of what modules define.

``python_index(project)`` is cached per Project (like the link graph), so the ``stale``, ``tests`` and ``accuracy``
families share one parse of every Python file they look at. Files are read through ``Project.read_text`` and never
imported: a symbol named in a document is resolved by reading the repository's own source, never by running it.

Which directories hold the repository's own packages (``package_dirs``):

- ``[tool.setuptools] package-dir`` in pyproject.toml when present: ``{"odyssey" = "tools/odyssey"}`` maps an import
  name to a directory, ``{"" = "src"}`` makes every package directory under ``src/`` a top-level package;
  ``[tool.setuptools.packages.find] where = [...]`` does the same for its directories;
- otherwise every top-level directory with an ``__init__.py``, and every ``src/<name>/__init__.py``.

Module resolution (``module_file``) maps ``odyssey.checks.links`` to ``tools/odyssey/checks/links.py`` (or a package's
``__init__.py``) through the longest mapped prefix; ``fallback_to_root`` also tries the plain layout from the
repository root, for imports between test modules (``from tests.helpers import x``).

A symbol lookup (``lookup``) walks a dotted name: the longest prefix that is a module, then a top-level name of that
module (definitions, assignments and imports, followed through ``from x import y`` re-exports), then a member of a
class (methods, class attributes, dataclass fields and ``self.x`` assignments in its methods, inherited ones through
bases that are classes of the repository). Whenever the source cannot tell -- a star import, a module-level
``__getattr__``, a base class from another library, attributes of attributes -- the name counts as found: a stale
reference is reported only when the source shows it cannot exist.
"""

from __future__ import annotations

import ast
import logging
import posixpath
import tomllib
import warnings
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from odyssey.project import Project

logger = logging.getLogger(__name__)

MAX_IMPORT_HOPS = 8  # re-export chains longer than this are not followed (and count as found)


@dataclass
class PySource:
    """One parsed Python file. ``tree`` is None when the file cannot be read or parsed; ``error`` says why as
    (line, column, message)."""

    path: str
    text: str = ""
    tree: ast.Module | None = None
    error: tuple[int, int, str] | None = None

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def parse_source(path: str, text: str | None) -> PySource:
    """Parse ``text`` (None: unreadable) without raising: syntax errors become ``error``."""
    if text is None:
        return PySource(path, error=(1, 1, "cannot read the file"))
    source = PySource(path, text)
    try:
        with warnings.catch_warnings():  # invalid escape sequences warn at parse time; not our business
            warnings.simplefilter("ignore")
            source.tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        source.error = (exc.lineno or 1, exc.offset or 1, f"{type(exc).__name__}: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes; absurd nesting
        source.error = (1, 1, f"cannot parse: {type(exc).__name__}: {exc}")
    return source


@dataclass
class ClassSymbols:
    name: str
    line: int
    members: set[str] = field(default_factory=set)
    bases: tuple[str, ...] = ()  # as written: "Base", "module.Base", "Generic[T]"
    open: bool = False  # defines __getattr__ / __slots__ tricks: any member may exist


@dataclass
class ModuleSymbols:
    """What one module defines at its top level."""

    module: str
    path: str
    names: set[str] = field(default_factory=set)  # every top-level binding
    defined: set[str] = field(default_factory=set)  # bindings made here (not imports): where a name "lives"
    classes: dict[str, ClassSymbols] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted target ("pkg.mod" or "pkg.mod.Name")
    open: bool = False  # star import or module-level __getattr__
    readable: bool = True


@dataclass(frozen=True)
class Lookup:
    """The result of looking up a dotted name.

    status: ``found``; ``not-ours`` (the first component is not one of the repository's packages); ``missing-module``
    (``missing`` names the first module that does not exist); ``missing-name`` (the module ``module`` defines no
    ``missing``); ``missing-member`` (the class ``owner`` has no member ``missing``).
    """

    status: str
    module: str | None = None
    path: str | None = None
    missing: str | None = None
    owner: str | None = None  # the class whose member is missing, dotted

    @property
    def found(self) -> bool:
        return self.status in ("found", "not-ours")


def _targets(node: ast.expr) -> Iterable[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module of ``from <dots><target> import ...`` inside ``module``."""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


class _ModuleReader:
    """Collects the top-level bindings of one module (into conditional blocks, never into function bodies)."""

    def __init__(self, symbols: ModuleSymbols, is_package: bool) -> None:
        self.symbols = symbols
        self.is_package = is_package

    def bind(self, name: str, defined: bool = True) -> None:
        self.symbols.names.add(name)
        if defined:
            self.symbols.defined.add(name)

    def visit_body(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.visit(statement)

    def visit(self, node: ast.stmt) -> None:
        symbols = self.symbols
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bind(node.name)
            if node.name == "__getattr__":
                symbols.open = True
        elif isinstance(node, ast.ClassDef):
            self.bind(node.name)
            symbols.classes[node.name] = read_class(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in _targets(target):
                    self.bind(name)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            for name in _targets(node.target):
                self.bind(name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.bind(alias.asname, defined=False)
                    symbols.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.bind(top, defined=False)
                    symbols.imports.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                source = resolve_relative(symbols.module, self.is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    symbols.open = True
                    continue
                local = alias.asname or alias.name
                self.bind(local, defined=False)
                symbols.imports[local] = f"{source}.{alias.name}" if source else alias.name
        elif isinstance(node, (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor,
                               ast.While)):
            for name in _targets(getattr(node, "target", None) or ast.Tuple(elts=[])):
                self.bind(name)
            for item in getattr(node, "items", ()):
                if item.optional_vars is not None:
                    for name in _targets(item.optional_vars):
                        self.bind(name)
            for block in ("body", "orelse", "finalbody"):
                self.visit_body(getattr(node, block, []))
            for handler in getattr(node, "handlers", ()):
                if handler.name:
                    self.bind(handler.name)
                self.visit_body(handler.body)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self.visit_body(case.body)


def read_class(node: ast.ClassDef) -> ClassSymbols:
    """Members of a class: its body's bindings and every ``self.x = ...`` in its methods."""
    info = ClassSymbols(node.name, node.lineno, bases=tuple(ast.unparse(base) for base in node.bases))
    pending: list[ast.stmt] = list(node.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.members.add(statement.name)
            if statement.name in ("__getattr__", "__getattribute__"):
                info.open = True
            arguments = statement.args.posonlyargs + statement.args.args
            if arguments:
                info.members.update(_self_attributes(statement, arguments[0].arg))
        elif isinstance(statement, ast.ClassDef):
            info.members.add(statement.name)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                info.members.update(_targets(target))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            info.members.update(_targets(statement.target))
        elif isinstance(statement, (ast.If, ast.Try, ast.TryStar, ast.With, ast.For, ast.While)):
            for block in ("body", "orelse", "finalbody"):
                pending.extend(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", ()):
                pending.extend(handler.body)
    if "__slots__" in info.members and not info.members - {"__slots__"}:
        info.open = True
    return info


def _self_attributes(function: ast.AST, self_name: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == self_name:
                found.add(node.attr)
    return found


def read_module(module: str, path: str, tree: ast.Module | None) -> ModuleSymbols:
    symbols = ModuleSymbols(module, path, readable=tree is not None)
    if tree is not None:
        _ModuleReader(symbols, path.endswith("/__init__.py")).visit_body(tree.body)
    return symbols


# -- which packages are ours ----------------------------------------------------------------------------------------
def package_dirs(project: Project) -> dict[str, str]:
    """Import name (dotted) -> repository directory, for the repository's own packages. See the module docstring."""
    files = project.files
    mapping: dict[str, str] = {}
    bases: list[str] = []
    setuptools = _setuptools_table(project)
    package_dir = setuptools.get("package-dir")
    if isinstance(package_dir, dict) and package_dir:
        for name, directory in package_dir.items():
            if not isinstance(name, str) or not isinstance(directory, str):
                continue
            directory = posixpath.normpath(directory.strip("/")) if directory.strip("/") else ""
            if name == "":
                bases.append(directory)
            elif files.exists(directory):
                mapping[name] = directory
    packages = setuptools.get("packages")
    find = packages.get("find") if isinstance(packages, dict) else None
    if isinstance(find, dict):
        where = find.get("where", ["."])
        bases.extend(posixpath.normpath(w.strip("/")) for w in where if isinstance(w, str))
    if not mapping and not bases:
        bases = ["", "src"]
    for base in bases:
        base = "" if base == "." else base
        prefix = f"{base}/" if base else ""
        for path in files.files:
            if path.startswith(prefix) and path.endswith("/__init__.py"):
                name = path[len(prefix) : -len("/__init__.py")]
                if name and "/" not in name and name.isidentifier() and name not in mapping:
                    mapping[name] = f"{prefix}{name}"
    return mapping


def _setuptools_table(project: Project) -> dict:
    if not project.files.is_file("pyproject.toml"):
        return {}
    text = project.read_text("pyproject.toml")
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError:
        logger.debug("pyproject.toml is not valid TOML; guessing package directories")
        return {}
    table = data.get("tool", {}).get("setuptools", {})
    return table if isinstance(table, dict) else {}


class PythonIndex:
    """Parsed Python files and module symbols of one Project, built lazily and cached."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._sources: dict[str, PySource] = {}
        self._symbols: dict[str, ModuleSymbols | None] = {}
        self._packages: dict[str, str] | None = None
        self._definers: dict[str, list[str]] | None = None

    # -- files ----------------------------------------------------------------------------------------------------
    def source(self, path: str) -> PySource:
        """The parsed file at ``path`` (a repository path), parsed once."""
        found = self._sources.get(path)
        if found is None:
            text: str | None = None
            try:
                size = (self.project.root / path).stat().st_size
            except OSError:
                size = 0
            if size > self.project.config.max_file_size:
                found = PySource(path, error=(1, 1, f"file is over the {self.project.config.max_file_size} byte "
                                                    "limit; not parsed"))
            else:
                text = self.project.read_text(path)
                found = parse_source(path, text)
            self._sources[path] = found
        return found

    # -- modules --------------------------------------------------------------------------------------------------
    @property
    def packages(self) -> dict[str, str]:
        if self._packages is None:
            self._packages = package_dirs(self.project)
            logger.debug("own packages: %s", self._packages)
        return self._packages

    @property
    def top_level_packages(self) -> frozenset[str]:
        return frozenset(name.split(".")[0] for name in self.packages)

    def module_file(self, module: str, fallback_to_root: bool = False) -> str | None:
        """The repository file of ``module`` (``x.py`` or ``x/__init__.py``), or None. A namespace package (a mapped
        directory without ``__init__.py``) resolves to its directory."""
        files = self.project.files
        best = None
        for name in self.packages:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > len(best)):
                best = name
        candidates: list[str] = []
        if best is not None:
            rest = module[len(best) :].lstrip(".").replace(".", "/")
            base = self.packages[best]
            candidates.append(posixpath.join(base, rest) if rest else base)
        if fallback_to_root:
            candidates.append(module.replace(".", "/"))
        for stem in candidates:
            stem = stem.lstrip("/")
            if files.is_file(f"{stem}.py"):
                return f"{stem}.py"
            if files.is_file(f"{stem}/__init__.py"):
                return f"{stem}/__init__.py"
            if best is not None and stem == self.packages[best] and stem in files.dirs:
                return stem  # namespace package
        return None

    def symbols(self, module: str, fallback_to_root: bool = False) -> ModuleSymbols | None:
        """What ``module`` defines, or None when it is not a module of the repository."""
        key = f"{module}|{fallback_to_root}"
        if key not in self._symbols:
            path = self.module_file(module, fallback_to_root)
            if path is None:
                self._symbols[key] = None
            elif not path.endswith(".py"):
                self._symbols[key] = ModuleSymbols(module, path)  # namespace package: only submodules
            else:
                self._symbols[key] = read_module(module, path, self.source(path).tree)
        return self._symbols[key]

    def own_modules(self) -> dict[str, str]:
        """Every module of the repository's own packages: dotted name -> file."""
        modules: dict[str, str] = {}
        for name, directory in self.packages.items():
            prefix = f"{directory}/" if directory else ""
            for path in self.project.files.files:
                if not path.endswith(".py") or not path.startswith(prefix):
                    continue
                relative = path[len(prefix) : -3]
                parts = relative.split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if all(part.isidentifier() for part in parts):
                    modules[".".join([name, *parts])] = path
        return modules

    def definers(self, name: str) -> list[str]:
        """Modules of the repository's packages that define ``name`` at top level (not by importing it), sorted."""
        if self._definers is None:
            index: dict[str, list[str]] = {}
            for module in sorted(self.own_modules()):
                symbols = self.symbols(module)
                for defined in symbols.defined if symbols else ():
                    index.setdefault(defined, []).append(module)
            self._definers = index
        return self._definers.get(name, [])

    def modules_named(self, last: str) -> list[str]:
        """Modules of the repository's packages whose last component is ``last``."""
        return sorted(m for m in self.own_modules() if m.rsplit(".", 1)[-1] == last)

    # -- lookups --------------------------------------------------------------------------------------------------
    def lookup(self, dotted: str, hops: int = 0) -> Lookup:
        """Does ``dotted`` (``pkg.module.Name.member``; ``pkg.module:Name`` is accepted) name something that exists?"""
        parts = dotted.replace(":", ".").split(".")
        if parts[0] not in self.top_level_packages:
            return Lookup("not-ours")
        for index in range(len(parts), 0, -1):
            module = ".".join(parts[:index])
            symbols = self.symbols(module)
            if symbols is not None:
                break
        else:
            return Lookup("missing-module", missing=parts[0])
        rest = parts[index:]
        if not rest or not symbols.readable or symbols.open:
            return Lookup("found", module, symbols.path)
        name = rest[0]
        if name not in symbols.names:
            if len(rest) > 1:  # pkg.missing.Name: the module pkg.missing does not exist
                return Lookup("missing-module", module, symbols.path, missing=f"{module}.{name}")
            return Lookup("missing-name", module, symbols.path, missing=name)
        if len(rest) == 1:
            return Lookup("found", module, symbols.path)
        if name in symbols.imports:
            if hops >= MAX_IMPORT_HOPS:
                return Lookup("found", module, symbols.path)
            target = symbols.imports[name]
            followed = self.lookup(".".join([target, *rest[1:]]), hops + 1)
            return Lookup("found", module, symbols.path) if followed.status == "not-ours" else followed
        cls = symbols.classes.get(name)
        if cls is None or len(rest) > 2:
            return Lookup("found", module, symbols.path)  # attributes of values and of members: cannot tell
        member = rest[1]
        known = self.class_members(symbols, cls)
        if known is None or member in known:
            return Lookup("found", module, symbols.path)
        return Lookup("missing-member", module, symbols.path, missing=member, owner=f"{module}.{name}")

    def class_members(self, symbols: ModuleSymbols, cls: ClassSymbols, depth: int = 0) -> set[str] | None:
        """Members of ``cls`` including inherited ones; None when some cannot be known (a base from elsewhere)."""
        if cls.open or depth > MAX_IMPORT_HOPS:
            return None
        members = set(cls.members)
        for base in cls.bases:
            if base == "object":
                continue
            resolved = self._resolve_class(symbols, base)
            if resolved is None:
                return None
            base_symbols, base_class = resolved
            inherited = self.class_members(base_symbols, base_class, depth + 1)
            if inherited is None:
                return None
            members |= inherited
        return members

    def _resolve_class(self, symbols: ModuleSymbols, written: str, hops: int = 0) -> tuple[ModuleSymbols,
                                                                                             ClassSymbols] | None:
        """The repository class that ``written`` (a base as written in ``symbols``' module) names, or None."""
        if hops > MAX_IMPORT_HOPS or "[" in written or "(" in written:
            return None
        head, _, tail = written.partition(".")
        if not tail and head in symbols.classes:
            return symbols, symbols.classes[head]
        target = symbols.imports.get(head)
        if target is None:
            return None
        dotted = f"{target}.{tail}" if tail else target
        module, _, name = dotted.rpartition(".")
        if not module or module.split(".")[0] not in self.top_level_packages:
            return None
        other = self.symbols(module)
        if other is None or not other.readable:
            return None
        if name in other.classes:
            return other, other.classes[name]
        if name in other.imports:
            return self._resolve_class(other, name, hops + 1)
        return None


_INDEXES: weakref.WeakKeyDictionary[Project, PythonIndex] = weakref.WeakKeyDictionary()


def python_index(project: Project) -> PythonIndex:
    """The Python index of ``project``, created on first use and kept for the project's life."""
    index = _INDEXES.get(project)
    if index is None:
        index = PythonIndex(project)
        _INDEXES[project] = index
    return index
