"""How the CLI shows a compliance report, and the exit code of a failed one (shared by make and submit)."""

from __future__ import annotations

from pathlib import Path

REPORT_FAILED_EXIT = 3        # the photo was written but its compliance report failed (see --allow-fail)


def _bounds(rule: dict) -> str:
    lo, hi = rule.get("min"), rule.get("max")
    if lo is not None and hi is not None:
        return f"= {lo}" if lo == hi else f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}"
    return f"<= {hi}" if hi is not None else ""


def report_summary(path: Path | str, report: dict) -> str:
    """The verdict line (with the failed error rules) and one line per rule."""
    verdict = "PASS" if report.get("pass") else "FAIL"
    failed = [r["rule"] for r in report.get("rules", []) if not r.get("pass") and r.get("severity") == "error"]
    because = f": {', '.join(failed)}" if failed else ""
    lines = [f"{path}: {verdict} ({report.get('spec', {}).get('id', '')}){because}"]
    for rule in report.get("rules", []):
        mark = "ok " if rule.get("pass") else ("!! " if rule.get("severity") == "error" else "~  ")
        value = rule.get("value")
        value = f"{value:.2f}" if isinstance(value, float) else str(value)
        bounds = _bounds(rule)
        suffix = f"  ({bounds})" if bounds else ""
        lines.append(f"  {mark}{rule.get('rule')}: {value} {rule.get('unit', '')}{suffix}")
    return "\n".join(lines)
