"""Hostile and broken input, through the real command in a subprocess: each case is a finding or a clear one-line
error naming the file, never a traceback (asserted on stderr) and never a hang (every run has a timeout).

Cases: invalid and non-mapping frontmatter, YAML alias bombs and recursive aliases, hostile YAML tags, non-UTF-8,
UTF-16 and binary ``.md`` files, BOM and CRLF/CR line endings, a 50 MB file (refused without being opened, proved with
an audit hook), symlink loops, symlinks and links out of the repository, a directory named ``x.md``, FIFOs, an
unreadable file, undecodable file names, pathological Markdown, invalid mkdocs.yml and invalid configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from odyssey.document import Document
from odyssey.mkdocs_config import parse_mkdocs_config
from odyssey.project import load_document

TIMEOUT = 60  # seconds; every case finishes in about one on this machine: a timeout means a hang


def write(root: Path, path: str, content: str | bytes) -> Path:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        full.write_bytes(content)
    else:
        full.write_text(content, encoding="utf-8")
    return full


def odyssey(root: Path, *args: str, prefix: tuple[str, ...] = ("-m", "odyssey")) -> tuple[int, str, str]:
    """Run the CLI in a subprocess with strict UTF-8 output; fail on a traceback, a hang or a multi-line error."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # strict: an unencodable character would crash, not hide
    try:
        done = subprocess.run([sys.executable, *prefix, *args], cwd=root, env=env, capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"odyssey {' '.join(args)} hung for {TIMEOUT} s")
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # the report is valid UTF-8
    assert "Traceback" not in err, err
    assert all(line.startswith("odyssey: ") for line in err.splitlines()), err
    assert done.returncode in (0, 1, 2), (done.returncode, err)
    return done.returncode, out, err


def check(root: Path, *args: str) -> tuple[int, set[str], str]:
    """``odyssey check --format json``: exit status, the findings as ``path:line: CODE``, stderr."""
    status, out, err = odyssey(root, "check", "--root", str(root), "--format", "json", *args)
    return status, {f"{item['path']}:{item['line']}: {item['code']}" for item in json.loads(out)}, err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root, "README.md", "# Project\n\nSee the [docs](docs/index.md).\n")
    write(root, "docs/index.md", "# Docs\n\nBack [home](../README.md).\n")
    return root


# -- frontmatter -------------------------------------------------------------------------------------------------------
ALIAS_BOMB = "\n".join(
    ["---", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["---", "", "# Bomb", ""]
)

FRONTMATTER_CASES = {
    "invalid-yaml": ("---\nname: reviewer\ntools: [Read, Grep\n---\n# R\n", "INP002"),
    "unclosed": ("---\nname: reviewer\n\n# Reviewer\n", "INP002"),
    "list": ("---\n- reviewer\n- read-only\n---\n# R\n", "INP003"),
    "scalar": ("---\njust a title\n---\n# R\n", "INP003"),
    "alias-bomb": (ALIAS_BOMB, "INP002"),
    "recursive-alias": ("---\nloop: &loop [*loop]\n---\n# R\n", "INP002"),
    "python-tag": ('---\nrun: !!python/object/apply:os.system ["echo owned"]\n---\n# R\n', "INP002"),
    "unhashable-key": ("---\n? [a, b]\n: c\n---\n# R\n", "INP002"),
    "deep-nesting": ("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n# R\n", "INP002"),
    "huge-integer": ("---\nseed: " + "9" * 5000 + "\n---\n# R\n", "INP002"),
    "too-large": ("---\nblob: " + "x" * 70_000 + "\n---\n# R\n", "INP002"),
}


def test_bad_frontmatter_is_a_finding(repo: Path) -> None:
    """One file per case in one run (each run is a process start): each file gets exactly its one finding."""
    for case, (text, _code) in FRONTMATTER_CASES.items():
        write(repo, f"agents/{case}.md", text)
    status, found, _ = check(repo, "--select", "INP")
    assert status == 1
    assert {f.split(":")[0]: f.rsplit(" ", 1)[1] for f in found} == {
        f"agents/{case}.md": code for case, (_text, code) in FRONTMATTER_CASES.items()
    }
    assert len(found) == len(FRONTMATTER_CASES)


# -- encodings and line endings ----------------------------------------------------------------------------------------
UNDECODABLE = {
    "latin-1": ("# Résultats\n\nPrécision : 98,9 %\n".encode("latin-1"), 1),
    "utf-16": ("# Log\r\nepoch 1\r\n".encode("utf-16"), 1),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 1),
    "bad-byte-on-line-3": (b"# ok\n\n" + b"text " * 10 + b"\xc3\x28 broken\n", 3),
}
READABLE = {  # a link to a missing page on line 3, column 5, whatever the line endings (line 4 after frontmatter)
    "bom-crlf": (b"\xef\xbb\xbf# Notes\r\n\r\nSee [gone](gone.md).\r\n", 3),  # Notepad
    "cr": (b"# Notes\r\rSee [gone](gone.md).\r", 3),  # classic Mac
    "bom-frontmatter": (b"\xef\xbb\xbf---\r\ntitle: Notes\r\n---\r\nSee [gone](gone.md).\r\n", 4),
}


def test_encodings_and_line_endings(repo: Path) -> None:
    for case, (content, _line) in {**UNDECODABLE, **READABLE}.items():
        write(repo, f"notes/{case}.md", content)
    status, out, _ = odyssey(repo, "check", "--root", str(repo), "--select", "INP,LNK")
    assert status == 1
    expected = [f"notes/{case}.md:{line}:1: INP001" for case, (_content, line) in UNDECODABLE.items()]
    expected += [f"notes/{case}.md:{line}:5: LNK001" for case, (_content, line) in READABLE.items()]
    assert sorted(" ".join(row.split()[:2]) for row in out.splitlines()[:-1]) == sorted(expected)


# -- size --------------------------------------------------------------------------------------------------------------
AUDITED_RUN = """\
import os, sys
watched = [os.path.realpath(path) for path in sys.argv[1].split(os.pathsep)]
opened = set()
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path in watched:
            opened.add(path)
sys.addaudithook(hook)
from odyssey.cli import main
status = main(sys.argv[2:])
for path in sorted(opened):
    print(f"odyssey: audit: opened {path}", file=sys.stderr)
raise SystemExit(status)
"""


def audited(repo: Path, watched: list[Path], *args: str) -> tuple[int, set[str], list[str]]:
    """Run ``odyssey check`` with an audit hook that reports every open() of the watched files."""
    status, out, err = odyssey(repo, os.pathsep.join(map(str, watched)), "check", "--root", str(repo),
                               "--format", "json", *args, prefix=("-c", AUDITED_RUN))
    found = {f"{item['path']}:{item['line']}: {item['code']}" for item in json.loads(out)}
    return status, found, [line.rsplit(" ", 1)[1] for line in err.splitlines() if "audit: opened" in line]


def test_a_50_mb_file_is_refused_without_being_opened(repo: Path) -> None:
    big = repo / "notes" / "training-log.md"
    big.parent.mkdir(parents=True)
    line = b"epoch 001 step 0001: loss 0.2315 lr 0.01 [log](missing.md)\n"
    with open(big, "wb") as handle:
        handle.write(b"# Training log\n\n" + line * (50 * 1024 * 1024 // len(line) + 1))
    assert big.stat().st_size > 50 * 1024 * 1024
    control = repo / "docs" / "index.md"  # proves the hook sees the files odyssey does read
    try:
        for args in ((), ("notes/training-log.md", "docs/index.md")):
            status, found, opened = audited(repo, [big, control], "--select", "INP,LNK", *args)
            assert status == 1
            assert found == {"notes/training-log.md:1: INP004"}
            assert opened == [str(control.resolve())]
    finally:
        big.unlink()  # pytest keeps recent tmp_paths; do not keep 50 MB in each


# -- symlinks, links and paths out of the repository -------------------------------------------------------------------
def test_symlinks_out_of_the_repository_are_never_followed(repo: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere", "secret.md", "# Secret\n\n[private](private.md)\n")
    os.symlink(secret, repo / "docs" / "absolute.md")
    os.symlink(os.path.relpath(secret, repo / "docs"), repo / "docs" / "relative.md")
    write(repo, "docs/escape.md", f"# Escape\n\n[secret]({os.path.relpath(secret, repo / 'docs')})\n")
    status, found, opened = audited(repo, [secret], "--select", "INP,LNK")
    assert status == 1
    assert found == {"docs/absolute.md:1: INP005", "docs/relative.md:1: INP005", "docs/escape.md:3: LNK002"}
    assert opened == []


@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_symlink_loops_are_findings(repo: Path, in_git: bool) -> None:
    if in_git:
        subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=60)
    os.symlink("b.md", repo / "docs" / "a.md")
    os.symlink("a.md", repo / "docs" / "b.md")
    os.symlink("self.md", repo / "docs" / "self.md")
    os.symlink("..", repo / "docs" / "parent")  # a directory loop: the walk must not descend into it
    status, found, _ = check(repo, "--select", "INP,LNK")
    assert (status, found) == (1, {"docs/a.md:1: INP005", "docs/b.md:1: INP005", "docs/self.md:1: INP005"})
    status, found, _ = check(repo, "--select", "INP,LNK", "docs/a.md")
    assert (status, found) == (1, {"docs/a.md:1: INP005"})


def test_a_directory_named_like_markdown(repo: Path) -> None:
    write(repo, "docs/api.md/index.md", "# API\n\n[up](../index.md) [gone](gone.md)\n")
    write(repo, "README.md", "# Project\n\n[api](docs/api.md) [api index](docs/api.md/index.md)\n")
    status, found, _ = check(repo, "--select", "INP,LNK")
    assert (status, found) == (1, {"docs/api.md/index.md:3: LNK001"})
    status, found, _ = check(repo, "--select", "INP,LNK", "docs/api.md")
    assert (status, found) == (1, {"docs/api.md/index.md:3: LNK001"})


def test_path_arguments_outside_the_repository_or_missing(repo: Path, tmp_path: Path) -> None:
    write(tmp_path, "outside.md", "# Outside\n")
    status, _, err = odyssey(repo, "check", "--root", str(repo), str(tmp_path / "outside.md"))
    assert status == 2 and err.startswith(f"odyssey: error: {tmp_path / 'outside.md'}: not inside the repository")
    status, _, err = odyssey(repo, "check", "--root", str(repo), "docs/missing.md")
    assert (status, err) == (2, "odyssey: error: docs/missing.md: no such file or directory\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_markdown_does_not_block(repo: Path) -> None:
    os.mkfifo(repo / "docs" / "pipe.md")
    status, found, _ = check(repo, "--select", "INP,LNK")  # outside git: the walk leaves FIFOs out, as git does
    assert (status, found) == (0, set())
    status, _, err = odyssey(repo, "check", "--root", str(repo), "docs/pipe.md")
    assert (status, err) == (2, "odyssey: error: docs/pipe.md: not a regular file\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_symlink_to_a_fifo_does_not_block(repo: Path) -> None:
    os.mkfifo(repo / "docs" / "pipe")
    os.symlink("pipe", repo / "docs" / "pipe.md")  # git lists the symlink (not the FIFO)
    loaded: list[Document] = []
    reader = threading.Thread(target=lambda: loaded.append(load_document(repo, "docs/pipe.md", 4 * 1024 * 1024)),
                              daemon=True)
    reader.start()
    reader.join(timeout=2)
    blocked = reader.is_alive()
    if blocked:  # release the blocked reader: open the writing end and close it, so it reads end-of-file
        try:
            os.close(os.open(repo / "docs" / "pipe", os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        reader.join(timeout=10)
    assert not blocked, "reading docs/pipe.md blocked on the FIFO it points to"
    assert [problem.code for problem in loaded[0].problems] == ["INP005"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_a_finding(repo: Path) -> None:
    locked = write(repo, "docs/locked.md", "# Locked\n")
    locked.chmod(0)
    try:
        status, found, _ = check(repo, "--select", "INP,LNK")
    finally:
        locked.chmod(0o644)
    assert (status, found) == (1, {"docs/locked.md:1: INP005"})


def test_undecodable_file_names_are_reported_not_crashed_on(repo: Path) -> None:
    """A Latin-1 file name reaches us surrogate-escaped; the report must still be written, as valid UTF-8."""
    name = os.fsdecode(b"r\xe9sultats.md")
    (repo / "notes").mkdir()
    (repo / "notes" / name).write_text("# Results\n\n[gone](gone.md)\n", encoding="utf-8")
    for fmt in ("text", "json", "sarif", "github"):
        status, out, err = odyssey(repo, "check", "--root", str(repo), "--select", "LNK", "--format", fmt)
        assert status == 1 and err == ""
        assert "r\\udce9sultats.md" in out or "r%E9sultats.md" in out
    status, out, _ = odyssey(repo, "check", "--root", str(repo), "--select", "LNK", "--format", "json")
    assert os.fsencode(json.loads(out)[0]["path"]) == b"notes/r\xe9sultats.md"  # JSON keeps the exact name


def test_pathological_markdown_finishes(repo: Path) -> None:
    write(repo, "docs/deep.md", "> " * 5000 + "deep\n\n" + "- " * 3000 + "x\n\n" + "[" * 20000 + "a" + "]" * 20000
          + "(b.md)\n\n" + "*a **" * 20000 + "\n\n" + '<a href="' + "x" * 100_000 + "\n")
    write(repo, "docs/many-links.md", "".join(f"- [page {i}](missing-{i}.md)\n" for i in range(5000)))
    status, found, _ = check(repo, "--select", "INP,LNK")
    assert status == 1
    assert len([f for f in found if f.startswith("docs/many-links.md:")]) == 5000


# -- mkdocs.yml --------------------------------------------------------------------------------------------------------
MKDOCS_CASES = {
    "syntax": "site_name: Manual\nnav:\n  - Home: index.md\n  - [broken\n",
    "not-a-mapping": "- site_name\n- nav\n",
    "python-tags": "site_name: Manual\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
                   "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
                   "nav:\n  - Home: index.md\n",
}


@pytest.mark.parametrize("case", sorted(MKDOCS_CASES))
def test_mkdocs_yml_never_crashes_a_run(repo: Path, case: str) -> None:
    write(repo, "mkdocs.yml", MKDOCS_CASES[case])
    write(repo, "docs/guide.md", "# Guide\n\n[index](index.md#docs) [missing](index.md#nothing-here)\n")
    status, _, err = odyssey(repo, "check", "--root", str(repo))
    assert status == 1 and err == ""  # the missing anchor at least; no internal error


def test_invalid_mkdocs_yml_is_a_finding_in_mkdocs_yml(repo: Path) -> None:
    write(repo, "mkdocs.yml", MKDOCS_CASES["syntax"])
    status, out, err = odyssey(repo, "check", "--root", str(repo), "--format", "json")
    assert status == 1 and err == ""
    assert [item["code"] for item in json.loads(out) if item["path"] == "mkdocs.yml"] == ["ORP004"]


def _mkdocs_alias_bomb(levels: int) -> str:
    lines = ["site_name: Manual", 'a: &a [' + ", ".join(['"index.md"'] * 9) + "]"]
    names = "abcdefghij"
    for previous, name in zip(names[: levels - 1], names[1:levels], strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join([*lines, f"nav: [*{names[levels - 1]}]", ""])


def test_mkdocs_alias_bomb_is_refused() -> None:
    config = parse_mkdocs_config("mkdocs.yml", _mkdocs_alias_bomb(6))
    assert config.problem is not None and not config.nav


def test_mkdocs_recursive_nav_is_a_problem_not_a_crash(repo: Path) -> None:
    write(repo, "mkdocs.yml", "site_name: Manual\nnav: &nav\n  - Home: index.md\n  - More: *nav\n")
    write(repo, "docs/guide.md", "# Guide\n\n[index](index.md#nothing-here)\n")
    status, _, err = odyssey(repo, "check", "--root", str(repo))
    assert status == 1 and err == ""


# -- configuration -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("odyssey.toml", b'selct = ["LNK"]\n', "odyssey.toml:1: unknown key 'selct' in the top level; did you mean"),
        ("odyssey.toml", b"select = [\n", "odyssey.toml: invalid TOML: "),
        ("odyssey.toml", b"\xff\xfe[\x00", "odyssey.toml: cannot read: "),
        ("pyproject.toml", b"[tool.odyssey]\nmax-file-size = -1\n", "pyproject.toml:2: 'max-file-size': -1 is less"),
    ],
    ids=["unknown-key", "toml-syntax", "binary", "bad-value"],
)
def test_invalid_configuration_is_one_line_naming_the_file(repo: Path, name: str, content: bytes, message: str) -> None:
    (repo / name).write_bytes(content)
    status, out, err = odyssey(repo, "check", "--root", str(repo))
    assert status == 2 and out == ""
    assert err.startswith(f"odyssey: error: {message}") and err.count("\n") == 1
