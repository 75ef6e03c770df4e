"""The report as JSON (schema: ``report.schema.json``): the run's facts for machines and for the next run's trend.

Top level: ``format``/``version`` (what reads it), when and by what it was made, ``status``/``exit_status``,
``totals`` (per severity, per check, per code), ``findings`` (the ``odyssey check --format json`` objects plus a
``fingerprint``), ``errors`` (crashed checks), and ``sections``: every section's ``id``, ``title`` and ``data``
(the trend, the worst files, and whatever later sections add), nested like the report.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from odyssey.report.model import REPORT_FORMAT, REPORT_VERSION, Report, Section, finding_record

logger = logging.getLogger(__name__)


def section_record(section: Section) -> dict[str, Any]:
    record: dict[str, Any] = {"id": section.id, "title": section.title, "data": section.data}
    if section.children:
        record["children"] = [section_record(child) for child in section.children]
    return record


def report_record(report: Report) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "title": report.title,
        "project": report.project,
        "generated_at": report.generated_at,
        "odyssey_version": report.odyssey_version,
        "status": report.status,
        "exit_status": report.exit_status,
        "files_checked": report.files_checked,
        "totals": report.totals.to_dict(),
        "findings": [finding_record(finding) for finding in report.findings],
        "errors": list(report.errors),
        "sections": [section_record(section) for section in report.sections],
    }


def render_json(report: Report) -> str:
    """JSON text; paths git hands over undecodable stay valid UTF-8 as ``\\udcff`` escapes."""
    return json.dumps(report_record(report), indent=2, ensure_ascii=False).encode(
        "utf-8", "backslashreplace"
    ).decode("utf-8") + "\n"
