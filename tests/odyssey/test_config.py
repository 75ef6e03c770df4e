"""Configuration: where it is read from, how bad keys are reported, and ``odyssey init``'s starter file."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import jsonschema
import pytest

from odyssey.cli import main
from odyssey.config import Config, ConfigError, config_schema, load_config, section_schemas
from odyssey.init_config import starter_config, write_starter_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def without_source(config: Config) -> Config:
    """The configuration minus where it came from and the family sections (compared by family_sections_are_defaults)."""
    return dataclasses.replace(config, source=None, extra=())


# -- where configuration comes from --------------------------------------------------------------------------------
def test_no_configuration_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config(root=tmp_path)
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n')
    assert load_config(tmp_path) == Config(root=tmp_path)  # a pyproject without [tool.odyssey]


def test_pyproject_tool_odyssey_section(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", (
        '[project]\nname = "demo"\n\n'
        '[tool.odyssey]\nexclude = ["site/**"]\nselect = ["LNK", "INP"]\nignore = ["LNK004"]\n\n'
        '[tool.odyssey.per-file-ignores]\n"notes/archive/**" = ["LNK"]\n\n'
        '[tool.odyssey.placement]\nroot-allow = ["README.md"]\n\n'
        '[tool.odyssey.anchors]\nslug-style = "github"\n'
    ))
    config = load_config(tmp_path)
    assert config.source == tmp_path / "pyproject.toml"
    assert config.exclude == ("site/**",)
    assert (config.select, config.ignore) == (("LNK", "INP"), ("LNK004",))
    assert config.per_file_ignores == (("notes/archive/**", ("LNK",)),)
    assert config.root_allow == ("README.md",)
    assert config.slug_style == "github"


def test_odyssey_toml_has_the_same_keys_at_top_level_and_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.odyssey]\nselect = ["INP"]\n')
    write(tmp_path / "odyssey.toml", 'select = ["LNK"]\n\n[naming]\nallow = ["README.md", "CHANGELOG.md"]\n')
    config = load_config(tmp_path)
    assert config.source == tmp_path / "odyssey.toml"
    assert config.select == ("LNK",)
    assert config.naming_allow == ("README.md", "CHANGELOG.md")


# -- bad configuration: one line naming the file and line ------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("odyssey.toml", 'select = ["LNK"]\nselct = ["INP"]\n',
         "odyssey.toml:2: unknown key 'selct' in the top level; did you mean 'select'?"),
        ("odyssey.toml", '[placement]\nroot-alow = ["README.md"]\n',
         "odyssey.toml:2: unknown key 'root-alow' in [placement]; did you mean 'root-allow'?"),
        ("pyproject.toml", '[project]\nname = "x"\n\n[tool.odyssey]\nexclude = []\nper-file-ignore = {}\n',
         "pyproject.toml:6: unknown key 'per-file-ignore' in [tool.odyssey]; did you mean 'per-file-ignores'?"),
        ("pyproject.toml", '[tool.odyssey.agnets]\npaths = []\n',
         "pyproject.toml:1: unknown key 'agnets' in [tool.odyssey]; did you mean 'agents'?"),
    ],
)
def test_unknown_key_is_one_line_with_file_line_and_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    write(tmp_path / name, text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value) == message
    assert main(["check", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"odyssey: error: {message}\n"


@pytest.mark.parametrize(
    ("text", "starts_with"),
    [
        ('select = "LNK"\n', "odyssey.toml:1: 'select': 'LNK' is not of type 'array'"),
        ("max-file-size = 10\n", "odyssey.toml:1: 'max-file-size': 10 is less than the minimum of 1024"),
        ('[anchors]\nslug-style = "gitlab"\n', "odyssey.toml:2: 'anchors.slug-style': 'gitlab' is not one of"),
        ("select = [\n", "odyssey.toml: invalid TOML: "),
        ('[[kinds]]\nname = "plan"\ndirs = ["notes"]\nname-regex = "(("\n', "odyssey.toml:4: invalid name-regex: "),
    ],
)
def test_invalid_values_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, starts_with: str
) -> None:
    write(tmp_path / "odyssey.toml", text)
    assert main(["check", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"odyssey: error: {starts_with}")
    assert err.count("\n") == 1


def test_non_utf8_config_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "odyssey.toml").write_bytes('select = ["LNK"]  # café\n'.encode("latin-1"))
    assert main(["check", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("odyssey: error: odyssey.toml: cannot read: ") and err.count("\n") == 1


def test_tool_odyssey_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool]\nodyssey = "yes"\n')
    with pytest.raises(ConfigError, match=r"^pyproject.toml:2: \[tool.odyssey\] must be a table$"):
        load_config(tmp_path)


# -- odyssey init -------------------------------------------------------------------------------------------------
def test_init_writes_odyssey_toml_that_round_trips_to_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'odyssey.toml'}\n"
    text = (tmp_path / "odyssey.toml").read_text(encoding="utf-8")
    assert text.startswith("# odyssey configuration.")
    assert without_source(load_config(tmp_path)) == Config(root=tmp_path)
    # ... and the repository it configures checks cleanly with it.
    write(tmp_path / "README.md", "# Demo\n")
    assert main(["check", "--root", str(tmp_path), "--select", "INP,LNK"]) == 0


def test_init_appends_to_pyproject_and_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = '[project]\nname = "demo"\nversion = "0.1.0"\n'
    write(tmp_path / "pyproject.toml", original)
    assert main(["init", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"appended [tool.odyssey] to {tmp_path / 'pyproject.toml'}\n"
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(original + "\n[tool.odyssey]\n")
    assert tomllib.loads(text)["project"] == {"name": "demo", "version": "0.1.0"}
    assert without_source(load_config(tmp_path)) == Config(root=tmp_path)


def test_init_leaves_existing_configuration_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pyproject.toml", '[tool.odyssey]\nselect = ["LNK"]\n')
    before = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert main(["init", "--root", str(tmp_path)]) == 0
    assert "already configures odyssey; nothing written" in capsys.readouterr().out
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == before
    assert main(["init", "--root", str(tmp_path), "--force"]) == 2
    assert capsys.readouterr().err == "odyssey: error: pyproject.toml already has [tool.odyssey]; edit it by hand\n"


def test_init_sees_tool_odyssey_subtables_as_configuration(tmp_path: Path) -> None:
    """Appending a second [tool.odyssey.placement] would make pyproject.toml invalid TOML."""
    write(tmp_path / "pyproject.toml", '[tool.odyssey.placement]\nroot-allow = ["README.md"]\n')
    assert write_starter_config(tmp_path) == (tmp_path / "pyproject.toml", "exists")


def test_init_never_bypasses_an_existing_odyssey_toml(tmp_path: Path) -> None:
    """odyssey.toml wins over pyproject.toml, so appending to pyproject.toml would have no effect."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n')
    write(tmp_path / "odyssey.toml", 'select = ["LNK"]\n')
    assert write_starter_config(tmp_path) == (tmp_path / "odyssey.toml", "exists")
    assert "tool.odyssey" not in (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert write_starter_config(tmp_path, force=True) == (tmp_path / "odyssey.toml", "written")
    assert without_source(load_config(tmp_path)) == Config(root=tmp_path)


def test_init_with_an_invalid_pyproject_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pyproject.toml", "[project\n")
    assert main(["init", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("odyssey: error: pyproject.toml: invalid TOML: ") and err.count("\n") == 1


@pytest.mark.parametrize("pyproject", [False, True])
def test_starter_config_is_valid_against_the_schema(pyproject: bool) -> None:
    data = tomllib.loads(starter_config(pyproject=pyproject))
    section = data["tool"]["odyssey"] if pyproject else data
    jsonschema.Draft202012Validator(config_schema()).validate(section)


def test_starter_config_has_a_section_for_every_family_that_keeps_settings() -> None:
    data = tomllib.loads(starter_config(pyproject=False))
    assert set(section_schemas()) <= set(data)


def test_starter_config_mentions_every_key_of_the_schema() -> None:
    """The starter file is the configuration's documentation: every key appears, set to its default or commented."""
    text = starter_config(pyproject=False)
    schema = config_schema()
    missing = [key for key in schema["properties"] if key not in text]
    for section, spec in schema["properties"].items():
        if spec.get("type") == "object" and "properties" in spec:
            missing += [f"{section}.{key}" for key in spec["properties"] if key not in text]
    missing += [f"kinds.{key}" for key in schema["properties"]["kinds"]["items"]["properties"] if key not in text]
    assert missing == []


def test_starter_config_states_the_defaults(tmp_path: Path) -> None:
    # `odyssey init` must not change what the checks do: its values are the defaults, written out.
    from odyssey.checks.duplicates import DuplicateSettings
    from odyssey.checks.xref import XrefSettings

    (tmp_path / "starter").mkdir()
    (tmp_path / "starter" / "odyssey.toml").write_text(starter_config(pyproject=False), encoding="utf-8")
    (tmp_path / "bare").mkdir()
    starter, bare = load_config(tmp_path / "starter"), load_config(tmp_path / "bare")
    for settings in (DuplicateSettings, XrefSettings):
        assert settings.from_config(starter) == settings.from_config(bare)
