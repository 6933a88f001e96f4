/* The compliance report (Job.report) as a checklist: one line per rule with a mark that does not rely on
   colour alone (✓ passed, ✗ failed, ! a warning), the measured value and the allowed range. */
"use strict";

window.IdPhotoReport = (() => {
  const NAMES = {
    size_px: "Photo size", head_height_mm: "Head height", eye_line_mm: "Eye line height",
    crown_margin_mm: "Space above the head", chin_margin_mm: "Space below the chin", roll_deg: "Head level",
    background_delta_e: "Background colour", face_count: "Exactly one face", print_size_mm: "Print size",
    not_padded: "Photo fills the frame without padding", file_kb: "File size",
    yaw_deg: "Head facing the camera (turn)", pitch_deg: "Head facing the camera (tilt)", eyes_open: "Eyes open",
    mouth_closed: "Mouth closed, neutral expression", geometry_confidence: "Head measured with confidence",
  };
  const UNITS = { mm: " mm", px: " px", deg: "°", kb: " KB", "%": " %", dE2000: " ΔE", faces: "", sides: "",
    ratio: "", score: "" };

  function number(value) {
    if (typeof value !== "number") return String(value);
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
  }

  function show(value, unit) {
    if (value === null || value === undefined) return "";
    const suffix = UNITS[unit] !== undefined ? UNITS[unit] : unit ? " " + unit : "";
    if (unit === "sides") return value.length ? "padded at the " + value.join(" and ") : "none";
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ");
    if (Array.isArray(value)) return value.map(number).join(" × ") + suffix;
    if (typeof value === "boolean") return value ? "yes" : "no";
    return number(value) + suffix;
  }

  function range(rule) {
    const has = (v) => v !== null && v !== undefined;
    if (has(rule.min) && has(rule.max)) {
      return JSON.stringify(rule.min) === JSON.stringify(rule.max)
        ? "required " + show(rule.min, rule.unit) : "allowed " + show(rule.min, rule.unit) + " – " + show(rule.max, rule.unit);
    }
    if (has(rule.max)) return "at most " + show(rule.max, rule.unit);
    if (has(rule.min)) return "at least " + show(rule.min, rule.unit);
    return "";
  }

  function item(rule) {
    const li = document.createElement("li");
    const warning = rule.severity === "warning";
    const kind = rule.pass ? "pass" : warning ? "warn" : "fail";
    li.className = kind;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.textContent = { pass: "✓", warn: "!", fail: "✗" }[kind];
    mark.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    const verdict = { pass: "passed", warn: "warning", fail: "failed" }[kind];
    const name = NAMES[rule.rule] || rule.rule.replace(/_/g, " ");
    text.append(name + " ");
    const detail = document.createElement("span");
    detail.className = "detail";
    const parts = [show(rule.value, rule.unit), range(rule)].filter(Boolean).join(", ");
    detail.textContent = "(" + verdict + (parts ? ": " + parts : "") + ")";
    text.append(detail);
    li.append(mark, text);
    return li;
  }

  function render(report) {
    const list = document.getElementById("report");
    const title = document.getElementById("report-title");
    const summary = document.getElementById("report-summary");
    list.replaceChildren();
    const rules = (report && report.rules) || [];
    title.hidden = summary.hidden = rules.length === 0;
    if (!rules.length) return;
    rules.forEach((rule) => list.append(item(rule)));
    const pass = Boolean(report.pass);
    const failed = rules.filter((r) => !r.pass && r.severity !== "warning").map((r) => NAMES[r.rule] || r.rule);
    summary.textContent = pass ? "Meets the document's rules."
      : "Does not meet every rule (" + failed.join("; ") + "): see the items marked ✗.";
    const aim = report.placement || {};
    if (aim.gave_way && aim.gave_way.length) {
      summary.textContent += " The document's ranges conflict for this face: " +
        aim.gave_way.map((r) => NAMES[r] || r).join(", ") + " gave way to keep the head in the frame.";
    }
    summary.className = "report-summary " + (pass ? "pass" : "fail");
  }

  return { render };
})();
