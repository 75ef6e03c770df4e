"""The ``odyssey`` mkdocs plugin: run every check during the build, publish the report, rule and agent pages, and
let findings fail a ``--strict`` build.

Events:

- ``on_config``: find the repository (the directory of mkdocs.yml, or ``root``) and its odyssey configuration.
- ``on_files``: run the checks once, then add the generated pages as virtual files (``File.generated``; nothing is
  written into ``docs/``): the report (``report_page``), one page per rule family plus an index (``rules_dir``), the
  agent catalog with the delegation hierarchy as inline SVG (``agents_page``), the configuration reference from the
  config JSON Schema (``config_reference_page``), and the repository's notes directory (``notes_pages``, under
  ``notes_dir``, with the files it holds).
- ``on_nav``: put the generated pages under the ``nav_section`` section of an explicit nav, the notes under
  ``notes_nav_section`` (see the package doc).
- ``on_page_markdown``: per page, log the findings of that page's own source file.
- ``on_page_content``: on note pages, links to files the site does not publish become plain text.
- ``on_post_build``: log the findings of files that are not pages (README, agents, notes), check errors, a summary.

A finding at or above ``fail_on`` is logged as a warning, so ``mkdocs build --strict`` (or ``strict: true``) fails
with its text; the others are logged at debug level and counted in one info line.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from markdown.extensions.toc import slugify as default_slugify
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from odyssey.agents_model import load_team
from odyssey.config import ConfigError, config_schema, load_config
from odyssey.engine import RunResult, run_checks
from odyssey.findings import Finding, Severity
from odyssey.mkdocs_plugin.config_reference import config_reference_page, starter_defaults
from odyssey.mkdocs_plugin.generated import DEFAULTS, generated_pages, nav_lines_naming
from odyssey.mkdocs_plugin.links import HeadingIds, SiteLinks, forge_source_url
from odyssey.mkdocs_plugin.nav import NavItem, insert_section
from odyssey.mkdocs_plugin.notes_pages import NotesLayout, published_files, rewrite_note, unlink_html
from odyssey.mkdocs_plugin.pages import Family, agents_page, rule_family_page, rules_index_page
from odyssey.notes.model import notes_settings
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.report.collect import build_report, family_summaries
from odyssey.report.coverage import default_coverage
from odyssey.workflow.coverage_data import CoverageError
from odyssey.workflow.inputs import report_inputs
from odyssey.report.model import Report
from odyssey.report.render_md import render_markdown
from odyssey.report.trend import PreviousReportError, load_previous
from odyssey.rules import Rule

log = get_plugin_logger(__name__)

FAIL_ON = ("error", "warning", "never")


class PagePath(c.Type[str]):
    """A path in the docs tree: relative, no ``..``, ending in ``.md`` (or a directory when ``directory``)."""

    def __init__(self, default: str | None, directory: bool = False) -> None:
        super().__init__(str, default=default)
        self.directory = directory

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value).strip()
        path = PurePosixPath(text)
        if not text or path.is_absolute() or ".." in path.parts or "\\" in text:
            raise ValidationError(f"'{text}' must be a relative path inside the docs directory, without '..'")
        if not self.directory and path.suffix != ".md":
            raise ValidationError(f"'{text}' must be a Markdown page path ending in .md")
        return path.as_posix()


class OdysseyPluginConfig(base.Config):
    enabled = c.Type(bool, default=True)
    root = c.Optional(c.Type(str))  # repository root, relative to mkdocs.yml's directory (default: that directory)
    report_page = PagePath(DEFAULTS["report_page"])
    fail_on = c.Choice(FAIL_ON, default="error")
    rules_pages = c.Type(bool, default=True)
    rules_dir = PagePath(DEFAULTS["rules_dir"], directory=True)
    agents_pages = c.Type(bool, default=True)
    agents_page = PagePath(DEFAULTS["agents_page"])
    nav_section = c.Type(str, default="Validation")  # "" leaves the nav to the site's mkdocs.yml
    source_url = c.Optional(c.Type(str))  # e.g. https://github.com/org/repo/blob/main/ (default: from edit_uri)
    previous_report = c.Optional(c.Type(str))  # a JSON report (relative to the root) to show the trend against
    config_reference_page = c.Optional(PagePath(None))  # e.g. tooling/configuration-reference.md; unset: no page
    notes_pages = c.Type(bool, default=False)  # publish the notes directory (outside docs_dir) as pages
    notes_dir = PagePath(DEFAULTS["notes_dir"], directory=True)  # where in the site the notes go
    notes_nav_section = c.Type(str, default="Notes")  # the top-level nav section of the notes


def _line(finding: Finding) -> str:
    message = finding.message.replace("\r", "\\r").replace("\n", "\\n")
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {message}"


class OdysseyPlugin(BasePlugin[OdysseyPluginConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project: Project | None = None
        self.report: Report | None = None
        self.generated: dict[str, str] = {}  # src_uri -> Markdown of every page this build generates
        # (top-level section, subsection or None, src_uri) in nav order
        self.nav_entries: list[tuple[str, str | None, str]] = []
        self.note_pages: set[str] = set()  # src_uris of the published notes
        self.by_path: dict[str, list[Finding]] = {}
        self.logged: set[str] = set()
        self.docs_prefix: str | None = None
        self.root = Path(".")
        self.source_url: str | None = None

    # -- configuration -----------------------------------------------------------------------------------------
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        base_dir = Path(config.config_file_path or ".").resolve().parent
        self.root = (base_dir / self.config.root).resolve() if self.config.root else base_dir
        if not self.root.is_dir():
            raise PluginError(f"odyssey: root '{self.root}' is not a directory")
        docs = Path(config.docs_dir).resolve()
        try:
            self.docs_prefix = docs.relative_to(self.root).as_posix()
            self.docs_prefix = "" if self.docs_prefix == "." else self.docs_prefix
        except ValueError:
            self.docs_prefix = None  # docs outside the repository: no finding is a page of the site
        self.source_url = self.config.source_url or forge_source_url(
            config.repo_url, config.edit_uri, self.docs_prefix
        )
        return config

    def _threshold(self) -> int | None:
        """The lowest severity rank logged as a warning; None for ``never``."""
        fail_on = self.config.fail_on
        return None if fail_on == "never" else Severity(fail_on).rank

    def _slugify(self, config: MkDocsConfig) -> HeadingIds:
        toc = config.mdx_configs.get("toc", {}) if isinstance(config.mdx_configs, dict) else {}
        slugify: Any = toc.get("slugify") or default_slugify
        return HeadingIds(slugify, toc.get("separator", "-"))

    # -- the checks and the pages ------------------------------------------------------------------------------
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled:
            return files
        try:
            project = Project(self.root, load_config(self.root))
        except ConfigError as exc:
            raise PluginError(f"odyssey: {exc}") from None
        notes_layout = self._notes_layout(project)
        note_files: tuple[dict[str, str], dict[str, str]] = (
            published_files(project, notes_layout) if notes_layout is not None else ({}, {})
        )
        selection = Selection(select=project.config.select, ignore=project.config.ignore)
        result = self._without_generated_nav_entries(
            project, run_checks(project, None, selection), note_files[0].values()
        )
        previous, label, note = self._previous()
        self.project = project
        try:  # the coverage section appears when [tool.odyssey.workflow] coverage.file exists (written by CI)
            coverage = default_coverage(project)
        except CoverageError as exc:
            log.warning(f"coverage: {exc}")
            coverage = None
        with report_inputs(project, coverage):
            self.report = build_report(
                project, result, selection, previous=previous, previous_label=label, trend_note=note
            )
        self.by_path = defaultdict(list)
        for finding in self.report.findings:
            self.by_path[finding.path].append(finding)
        self.logged = set()
        self.generated, self.nav_entries, self.note_pages = {}, [], set()
        site_files = {file.src_uri for file in files if file.inclusion.is_included()}

        rule_anchors: dict[str, tuple[str, str]] = {}
        if self.config.rules_pages:
            self._rule_pages(config, rule_anchors)
        report_links = SiteLinks(self.config.report_page, self.docs_prefix, site_files, self.source_url, rule_anchors)
        self._add(None, self.config.report_page, render_markdown(self.report, report_links))
        if self.config.agents_pages:
            page = self.config.agents_page
            team = load_team(project)
            links = SiteLinks(page, self.docs_prefix, site_files, self.source_url, rule_anchors)
            self._add(None, page, agents_page(team, links, self._slugify(config), project.config.agents.paths))
        if self.config.config_reference_page:
            self._add(None, self.config.config_reference_page, config_reference_page(config_schema(),
                                                                                     starter_defaults()))
        # Rules go last in the section: the report and the catalog are what readers come for.
        self.nav_entries.sort(key=lambda entry: (entry[0] != self.config.nav_section, entry[1] is not None))
        if notes_layout is not None:
            self._notes(project, notes_layout, note_files, site_files)

        placed = {src_uri for section, _, src_uri in self.nav_entries if self._inserts_nav(config, section)}
        for src_uri, content in self.generated.items():
            existing = files.get_file_from_path(src_uri)
            if existing is not None and existing.generated_by is None:
                log.warning(f"'{src_uri}' exists in the docs directory; the generated page replaces it "
                            "(choose another path in the odyssey plugin options)")
                files.remove(existing)
            # Pages the plugin places in the nav itself are "not in nav" for mkdocs, which then does not report them.
            inclusion = InclusionLevel.NOT_IN_NAV if src_uri in placed else InclusionLevel.UNDEFINED
            files.append(File.generated(config, src_uri, content=content, inclusion=inclusion))
        for path, src_uri in note_files[1].items():  # images and other files beside the notes, as they are
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                log.warning(f"'{src_uri}' exists in the docs directory; {path} is published there instead "
                            "(choose another notes_dir)")
                files.remove(existing)
            files.append(File.generated(config, src_uri, abs_src_path=str(self.root / path)))
        return files

    def _notes_layout(self, project: Project) -> NotesLayout | None:
        if not self.config.notes_pages:
            return None
        try:
            settings = notes_settings(project.config)
        except ConfigError as exc:
            raise PluginError(f"odyssey: {exc}") from None
        return NotesLayout(settings.directory, settings.index, self.config.notes_dir.strip("/"))

    def _notes(self, project: Project, layout: NotesLayout, published: tuple[dict[str, str], dict[str, str]],
               site_files: set[str]) -> None:
        """The notes as pages, index first, each with its links rewritten for the site."""
        pages, assets = published
        index_page = layout.site_path(layout.index)
        if layout.index not in pages:  # no notes directory or no index: still a page, so nav entries hold
            self._add_note(index_page, "# Notes\n\nThis repository has no notes index "
                                       f"(`{layout.index}`).\n")
        for path, src_uri in sorted(pages.items(), key=lambda item: (item[1] != index_page, item[1])):
            document = project.document(path)
            if not document.readable:
                log.warning(f"{path}: not published: the file is not readable text")
                continue
            links = SiteLinks(src_uri, self.docs_prefix, site_files, self.source_url)
            self._add_note(src_uri, rewrite_note(document, project, src_uri, {**pages, **assets}, links))

    def _add_note(self, src_uri: str, content: str) -> None:
        self.note_pages.add(src_uri)
        self._add(None, src_uri, content, section=self.config.notes_nav_section)

    def _without_generated_nav_entries(
        self, project: Project, result: RunResult, notes: Iterable[str] = ()
    ) -> RunResult:
        """Drop ORP002 ("nav entry names a missing page") for nav entries naming a page this plugin generates:
        in the site, that page exists."""
        mkdocs = project.mkdocs
        if mkdocs is None or not mkdocs.nav:
            return result
        options = {key: self.config[key] for key in DEFAULTS if key != "enabled"}
        lines = nav_lines_naming(mkdocs.nav, generated_pages(options, notes=notes))
        kept = [f for f in result.findings if not (f.code == "ORP002" and f.path == mkdocs.path and f.line in lines)]
        return dataclasses.replace(result, findings=kept)

    def _previous(self) -> tuple[dict[str, Any] | None, str, str | None]:
        wanted = self.config.previous_report
        if not wanted:
            return None, "", None
        path = self.root / wanted
        try:
            return load_previous(path), wanted, None
        except PreviousReportError as exc:
            log.warning(f"previous_report: {exc}")
            return None, "", f"The previous report could not be read: {exc}."

    def _rule_pages(self, config: MkDocsConfig, anchors: dict[str, tuple[str, str]]) -> None:
        from odyssey.checks import all_rules

        rules_by_family: dict[str, list[Rule]] = defaultdict(list)
        for rule in all_rules():
            rules_by_family[rule.family].append(rule)
        families = [
            Family(name, summary, tuple(rules_by_family[name]))
            for name, summary in family_summaries()
            if rules_by_family.get(name)
        ]
        directory = self.config.rules_dir
        pages = {}
        for family in families:
            page = posixpath.join(directory, family.page_name)
            content, family_anchors = rule_family_page(family, self._slugify(config))
            pages[page] = content
            anchors.update({code: (page, anchor) for code, anchor in family_anchors.items()})
        index = posixpath.join(directory, "index.md")
        self._add("Rules", index, rules_index_page(families, index, anchors))
        for page, content in pages.items():
            self._add("Rules", page, content)

    def _add(self, subsection: str | None, src_uri: str, content: str, section: str | None = None) -> None:
        if src_uri in self.generated:
            raise PluginError(f"odyssey: two generated pages share the path '{src_uri}'; check the plugin options")
        self.generated[src_uri] = content
        self.nav_entries.append((self.config.nav_section if section is None else section, subsection, src_uri))

    def _inserts_nav(self, config: MkDocsConfig, section: str) -> bool:
        """Does the plugin put pages of nav section ``section`` into the nav (an explicit nav, a section title)?"""
        return bool(section) and config.nav is not None

    # -- nav -------------------------------------------------------------------------------------------------
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if not self.config.enabled:
            return nav
        sections: dict[str, list[NavItem]] = {}
        subsections: dict[tuple[str, str], list[Page]] = {}
        for section, subsection, src_uri in self.nav_entries:
            if not self._inserts_nav(config, section):
                continue
            file = files.get_file_from_path(src_uri)
            page = file.page if file is not None else None
            if not isinstance(page, Page):
                continue
            entries = sections.setdefault(section, [])
            if subsection is None:
                entries.append(page)
            else:
                if (section, subsection) not in subsections:
                    subsections[section, subsection] = []
                    entries.append((subsection, subsections[section, subsection]))
                subsections[section, subsection].append(page)
        for section, entries in sections.items():
            insert_section(nav, section, entries)
        return nav

    # -- findings --------------------------------------------------------------------------------------------
    def _log(self, findings: list[Finding]) -> None:
        threshold = self._threshold()
        for finding in findings:
            if threshold is not None and finding.severity.rank >= threshold:
                log.warning(_line(finding))
            else:
                log.debug(_line(finding))

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if not self.config.enabled or self.docs_prefix is None or page.file.generated_by is not None:
            return markdown
        path = f"{self.docs_prefix}/{page.file.src_uri}" if self.docs_prefix else page.file.src_uri
        if path in self.by_path and path not in self.logged:
            self.logged.add(path)
            self._log(self.by_path[path])
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if not self.config.enabled or page.file.src_uri not in self.note_pages:
            return html
        return unlink_html(html)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled or self.report is None:
            return
        for path in sorted(set(self.by_path) - self.logged):
            self._log(self.by_path[path])
        report = self.report
        threshold = self._threshold()
        for error in report.errors:
            (log.info if threshold is None else log.warning)(f"check error: {error}")
        failing = sum(1 for f in report.findings if threshold is not None and f.severity.rank >= threshold)
        counts = report.totals.by_severity
        log.info(
            f"{report.totals.findings} findings ({counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} info; {failing} at or above fail_on={self.config.fail_on}) in "
            f"{report.files_checked} files; report page: {self.config.report_page}"
        )
