"""Kind recognition, naming patterns and destination suggestions (odyssey.kinds), without running any check."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.config import AgentsConfig, Config, DocumentKind
from odyssey.discovery import FileIndex
from odyssey.kinds import (
    DestinationPlanner,
    KindRecognizer,
    NamingConfigError,
    NamingPattern,
    NamingRules,
    PlacementRules,
    effective_kinds,
    glob_base,
    kebab_case,
    snake_case,
    split_suffix,
)

DEFAULT_NAMING = NamingRules((("docs", "kebab"), ("notes", "kebab"), ("agents", "kebab")), ("README.md", "index.md"))
AGENT_META = {"name": "reviewer", "description": "Reviews code.", "tools": "Read, Grep"}


def index(*paths: str) -> FileIndex:
    return FileIndex(root=Path("/repo"), files=frozenset(paths))


# -- names ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stem", "kebab"),
    [
        ("IMPLEMENTATION_SUMMARY", "implementation-summary"),
        ("ImplementationSummary", "implementation-summary"),
        ("Implementation Summary", "implementation-summary"),
        ("implementation-summary", "implementation-summary"),
        ("HTTPServer_Notes", "http-server-notes"),
        ("v1.2-release", "v1-2-release"),
        ("2024_05_12 standup", "2024-05-12-standup"),
        ("__init__", "init"),
        ("naïve_bayes", "naive-bayes"),
        ("Straße", "strasse"),
        ("Ærø Notes", "aero-notes"),
        ("LeNet5Results", "le-net5-results"),
        ("日本語", ""),
        ("résumé 日本", "resume"),
    ],
)
def test_kebab_case_splits_words_and_transliterates(stem: str, kebab: str) -> None:
    assert kebab_case(stem) == kebab
    assert snake_case(stem) == kebab.replace("-", "_")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("guide.md", ("guide", ".md")),
        ("Guide.MD", ("Guide", ".MD")),
        ("setup.markdown", ("setup", ".markdown")),
        ("training.notes.md", ("training.notes", ".md")),
        (".md", (".md", "")),  # a hidden file named ".md" has no stem to keep
        ("logo.png", ("logo.png", "")),
    ],
)
def test_split_suffix(name: str, expected: tuple[str, str]) -> None:
    assert split_suffix(name) == expected


@pytest.mark.parametrize(
    ("spec", "good", "bad"),
    [
        ("kebab", ["guide.md", "getting-started.md", "lenet5.md", "2024-05-12.md"],
         ["Guide.md", "getting_started.md", "a--b.md", "-a.md", "guide.markdown", "guide.MD", "a.b.md"]),
        ("snake", ["guide.md", "getting_started.md"], ["getting-started.md", "Getting_Started.md", "a__b.md"]),
        ("any", ["Whatever Name.markdown", "x"], []),
        (r"^\d{4}-[a-z0-9-]+\.md$", ["0001-use-numpy.md"], ["use-numpy.md", "0001_use_numpy.md", "01-x.md"]),
    ],
)
def test_pattern_accepts(spec: str, good: list[str], bad: list[str]) -> None:
    pattern = NamingPattern("docs", spec)
    assert [name for name in good if not pattern.accepts(name)] == []
    assert [name for name in bad if pattern.accepts(name)] == []


@pytest.mark.parametrize(
    ("spec", "name", "conformed"),
    [
        ("kebab", "IMPLEMENTATION_SUMMARY.md", "implementation-summary.md"),
        ("kebab", "setup.markdown", "setup.md"),
        ("kebab", "Release Notes v1.2.MD", "release-notes-v1-2.md"),
        ("kebab", "日本語メモ.md", None),
        ("snake", "Getting-Started.md", "getting_started.md"),
        ("any", "Meeting  Notes.md", "Meeting-Notes.md"),
        # a regex: the least change that matches wins (lower-casing before re-spelling)
        (r"^[a-z0-9_.-]+\.md$", "Model.Overview.md", "model.overview.md"),
        (r"^\d{4}-[a-z0-9-]+\.md$", "0002_Keep_Torch.md", "0002-keep-torch.md"),
        (r"^\d{4}-[a-z0-9-]+\.md$", "keep-torch.md", None),
    ],
)
def test_pattern_conform(spec: str, name: str, conformed: str | None) -> None:
    assert NamingPattern("docs", spec).conform(name) == conformed


def test_preset_names_are_case_insensitive() -> None:
    assert NamingPattern("docs", "Kebab").style == "kebab"
    assert NamingPattern("docs", "ANY").accepts("Whatever.MD")


def test_invalid_regex_pattern_is_a_one_line_config_error() -> None:
    with pytest.raises(NamingConfigError, match=r"naming pattern of docs/adr is not a valid regex: '\['"):
        NamingPattern("docs/adr", "[")


def test_longest_configured_prefix_wins() -> None:
    rules = NamingRules((("", "any"), ("docs", "kebab"), ("docs/adr", r"^\d{4}-.*\.md$"), ("docs/api/", "snake")),
                        ("README.md",))
    assert rules.pattern_for("docs/guides/deep/x.md").spec == "kebab"  # type: ignore[union-attr]
    assert rules.pattern_for("docs/adr/0001-x.md").spec == r"^\d{4}-.*\.md$"  # type: ignore[union-attr]
    assert rules.pattern_for("docs/adrs/x.md").spec == "kebab"  # type: ignore[union-attr]  # a prefix of components
    assert rules.pattern_for("docs/api/x.md").spec == "snake"  # type: ignore[union-attr]  # trailing / is ignored
    assert rules.pattern_for("NOTES.md").spec == "any"  # type: ignore[union-attr]
    assert rules.pattern_for("docs").spec == "any"  # type: ignore[union-attr]  # a directory by its parent's rule
    assert DEFAULT_NAMING.pattern_for("lenet5/README.md") is None
    assert DEFAULT_NAMING.pattern_for("docs") is None


def test_allowed_names_match_at_any_depth() -> None:
    assert DEFAULT_NAMING.is_allowed("docs/guides/README.md")
    assert DEFAULT_NAMING.is_allowed("index.md")
    assert not DEFAULT_NAMING.is_allowed("docs/Readme.md")


def test_conforming_name_of_files_and_directories() -> None:
    assert DEFAULT_NAMING.conforming_name("docs/Model_Overview.md") == "model-overview.md"
    assert DEFAULT_NAMING.conforming_name("docs/README.md") == "README.md"  # allowed
    assert DEFAULT_NAMING.conforming_name("lenet5/Training Log.md") == "Training-Log.md"  # no pattern: despaced only
    assert DEFAULT_NAMING.conforming_name("docs/API_Reference", is_dir=True) == "api-reference"
    assert DEFAULT_NAMING.conforming_name("docs/guides", is_dir=True) == "guides"
    assert DEFAULT_NAMING.conforming_name("lenet5/model card", is_dir=True) == "model-card"


# -- kinds ----------------------------------------------------------------------------------------------------------
ADR = DocumentKind(name="adr", dirs=("docs/decisions",), type="decision", paths=("**/ADR-*.md",),
                   name_regex=r"^ADR-\d+")
RUNBOOK = DocumentKind(name="runbook", dirs=("ops/runbooks",), type="runbook", name_regex=r"RUNBOOK")
NOTE = DocumentKind(name="note", dirs=("notes",), type="note", exclude=("notes/archive/**",))


def test_default_kinds_recognize_reports_notes_and_agents() -> None:
    recognizer = KindRecognizer.from_config(Config(root=Path(".")))
    assert recognizer.recognize("SESSION_SUMMARY.md").kind.name == "report"  # type: ignore[union-attr]
    assert recognizer.recognize("docs/FINAL_REVIEW_REPORT.markdown").kind.name == "report"  # type: ignore[union-attr]
    assert recognizer.recognize("docs/review-summary.md") is None  # lower case: a page, not a report
    match = recognizer.recognize("docs/x.md", {"title": "X", "type": "note"}, {"title": 2, "type": 3})
    assert (match.kind.name, match.by, match.line) == ("note", "type", 3)  # type: ignore[union-attr]
    match = recognizer.recognize("docs/agents/reviewer.md", AGENT_META, {"name": 2, "description": 3, "tools": 4})
    assert (match.kind.name, match.by, match.line) == ("agent", "frontmatter", 2)  # type: ignore[union-attr]
    assert recognizer.recognize(".claude/agents/nested/tester.md").kind.name == "agent"  # type: ignore[union-attr]
    assert recognizer.recognize("agents/README.md") is None  # excluded from the agent kind
    assert recognizer.recognize("agents/guides/writing.md") is None
    assert recognizer.recognize("docs/page.md", {"name": "x", "description": "y"}) is None  # a page, not an agent


def test_precedence_type_beats_frontmatter_beats_path_beats_name() -> None:
    recognizer = KindRecognizer((RUNBOOK, ADR, *KindRecognizer.from_config(Config(root=Path("."))).kinds))
    # path (ADR-*.md) beats name (RUNBOOK)
    assert recognizer.recognize("ops/ADR-7-RUNBOOK.md").kind.name == "adr"  # type: ignore[union-attr]
    # type beats path
    assert recognizer.recognize("ops/ADR-7.md", {"type": "runbook"}).kind.name == "runbook"  # type: ignore[union-attr]
    # frontmatter keys beat path
    assert recognizer.recognize("docs/ADR-7.md", AGENT_META).kind.name == "agent"  # type: ignore[union-attr]
    # type beats frontmatter keys; case and spaces of the type do not matter
    match = recognizer.recognize("x/y.md", {**AGENT_META, "type": " Note "})
    assert match.kind.name == "note"  # type: ignore[union-attr]
    # a type that names no kind means "no kind": the name regex is not consulted
    assert recognizer.recognize("docs/SESSION_SUMMARY.md", {"type": "page"}) is None
    # a type that is not a string is ignored, and recognition goes on
    assert recognizer.recognize("docs/SESSION_SUMMARY.md", {"type": ["a"]}).kind.name == "report"  # type: ignore[union-attr]


def test_first_declared_kind_wins_within_a_tier_and_exclude_applies_to_every_tier() -> None:
    first = DocumentKind(name="first", dirs=("a",), name_regex="PLAN")
    second = DocumentKind(name="second", dirs=("b",), name_regex="PLAN")
    assert KindRecognizer((first, second)).recognize("x/PLAN.md").kind.name == "first"  # type: ignore[union-attr]
    assert KindRecognizer((second, first)).recognize("x/PLAN.md").kind.name == "second"  # type: ignore[union-attr]
    recognizer = KindRecognizer((NOTE,))
    assert recognizer.recognize("notes/archive/old.md", {"type": "note"}) is None
    assert recognizer.is_home("notes/2024/05/x.md", NOTE)
    assert not recognizer.is_home("notesy/x.md", NOTE)


def test_default_agent_kind_follows_the_agents_section() -> None:
    config = Config(root=Path("."), agents=AgentsConfig(paths=("ai/agents/**/*.md",), exclude=("ai/agents/README.md",)))
    agent = next(kind for kind in effective_kinds(config) if kind.name == "agent")
    assert agent.dirs == ("ai/agents",)
    assert (agent.paths, agent.exclude) == (("ai/agents/**/*.md",), ("ai/agents/README.md",))
    declared = Config(root=Path("."), kinds=(NOTE,), agents=config.agents)
    assert effective_kinds(declared) == (NOTE,)  # declared kinds are taken as written


@pytest.mark.parametrize(
    ("glob", "base"),
    [("agents/**/*.md", "agents"), (".claude/agents/*.md", ".claude/agents"), ("*.md", None),
     ("docs/*/agents/*.md", "docs"), ("**/agents/*.md", None)],
)
def test_glob_base(glob: str, base: str | None) -> None:
    assert glob_base(glob) == base


# -- placement ------------------------------------------------------------------------------------------------------
def test_root_allow_is_case_insensitive_and_accepts_markdown_suffix() -> None:
    rules = PlacementRules(Config(root=Path(".")))
    for name in ("README.md", "Readme.md", "README.markdown", "LICENSE.md", "License.MD", "CLAUDE.md", "AGENTS.md"):
        assert rules.misplacement(name) is None, name
    misplaced = rules.misplacement("NOTES.md")
    assert misplaced is not None and (misplaced.directory, misplaced.at_root) == ("notes", True)
    misplaced = rules.misplacement("ARCHITECTURE.md")
    assert misplaced is not None and (misplaced.directory, misplaced.match) == ("docs", None)
    misplaced = rules.misplacement("planner.md", {"type": "agent"})
    assert misplaced is not None and misplaced.directory == "agents"


def test_below_the_root_only_documents_of_a_kind_are_misplaced() -> None:
    rules = PlacementRules(Config(root=Path(".")))
    assert rules.misplacement("lenet5/README.md") is None
    assert rules.misplacement("tools/odyssey/README.md") is None
    assert rules.misplacement("docs/architecture.md") is None
    assert rules.misplacement(".github/ISSUE_TEMPLATE/BUG_REPORT.md") is None  # hidden: tool layout
    assert rules.misplacement(".hidden-notes.md") is None
    assert rules.misplacement("notes/deep/SESSION_SUMMARY.md") is None  # at home, at any depth
    misplaced = rules.misplacement("lenet5/TRAINING_RESULTS.md")
    assert misplaced is not None and misplaced.directory == "notes" and misplaced.match.by == "name"  # type: ignore[union-attr]


def test_empty_default_destination_keeps_kindless_root_files() -> None:
    rules = PlacementRules(Config(root=Path("."), default_destination=""))
    assert rules.misplacement("ARCHITECTURE.md") is None
    assert rules.misplacement("SESSION_SUMMARY.md") is not None


# -- destinations ---------------------------------------------------------------------------------------------------
def test_destination_conforms_to_the_destination_directory() -> None:
    planner = DestinationPlanner(index("IMPLEMENTATION_SUMMARY.md"), DEFAULT_NAMING)
    destination = planner.destination("IMPLEMENTATION_SUMMARY.md", "notes")
    assert (destination.path, destination.conflict) == ("notes/implementation-summary.md", None)


def test_destination_taken_case_insensitively_gets_a_numbered_name() -> None:
    files = index("SESSION_SUMMARY.md", "notes/Session-Summary.md", "notes/session-summary-2.md")
    destination = DestinationPlanner(files, DEFAULT_NAMING).destination("SESSION_SUMMARY.md", "notes")
    assert destination.path == "notes/session-summary-3.md"
    assert destination.wanted == "notes/session-summary.md"
    assert destination.note == " (notes/session-summary.md collides with 'notes/Session-Summary.md')"


def test_two_sources_never_get_the_same_destination_and_answers_are_stable() -> None:
    planner = DestinationPlanner(index("SESSION_SUMMARY.md", "SESSION-SUMMARY.md"), DEFAULT_NAMING)
    first = planner.destination("SESSION_SUMMARY.md", "notes")
    second = planner.destination("SESSION-SUMMARY.md", "notes")
    assert (first.path, second.path) == ("notes/session-summary.md", "notes/session-summary-2.md")
    assert second.conflict == "is the destination suggested for 'SESSION_SUMMARY.md'"
    assert planner.destination("SESSION-SUMMARY.md", "notes") == second


def test_renaming_a_file_to_its_own_lower_case_is_not_a_collision() -> None:
    planner = DestinationPlanner(index("docs/Guide.md"), DEFAULT_NAMING)
    assert planner.destination("docs/Guide.md").path == "docs/guide.md"


@pytest.mark.parametrize(
    ("source", "directory", "existing", "expected"),
    [
        ("docs/deep/nested/Setup Guide.markdown", None, (), "docs/deep/nested/setup-guide.md"),
        ("docs/v1.2_Release.Notes.md", None, ("docs/v1-2-release-notes.md",), "docs/v1-2-release-notes-2.md"),
        ("lenet5/Über Résumé.md", "notes", (), "notes/uber-resume.md"),
        ("lenet5/日本語.md", "notes", (), "notes/日本語.md"),  # nothing derivable: the name is kept
        ("assets/Logo.png", None, ("assets/logo.png",), "assets/Logo-2.png"),  # no pattern for non-Markdown
    ],
)
def test_destination_of_awkward_names(source: str, directory: str | None, existing: tuple[str, ...],
                                      expected: str) -> None:
    planner = DestinationPlanner(index(source, *existing), DEFAULT_NAMING)
    assert planner.destination(source, directory).path == expected


def test_numbered_names_keep_the_suffix_and_the_pattern() -> None:
    snake = NamingRules((("notes", "snake"),), ())
    planner = DestinationPlanner(index("REVIEW_PLAN.md", "notes/review_plan.md"), snake)
    assert planner.destination("REVIEW_PLAN.md", "notes").path == "notes/review_plan_2.md"
    planner = DestinationPlanner(index("assets/Logo.png", "assets/logo.png", "assets/logo-2.png"), DEFAULT_NAMING)
    assert planner.destination("assets/Logo.png", name="logo.png").path == "assets/logo-3.png"
    planner = DestinationPlanner(index("docs/Guides/a.md", "docs/guides/b.md"), DEFAULT_NAMING)
    assert planner.destination("docs/Guides", is_dir=True).path == "docs/guides-2"
    adr = NamingRules((("docs/adr", r"^\d{4}-[a-z0-9-]+\.md$"),), ())
    planner = DestinationPlanner(index("x/0001_Use_Numpy.md", "docs/adr/0001-use-numpy.md"), adr)
    assert planner.destination("x/0001_Use_Numpy.md", "docs/adr").path == "docs/adr/0001-use-numpy-2.md"
