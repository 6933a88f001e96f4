"""Pose, expression and measurement-confidence rules of the compliance report.

Defaults follow ICAO's "Portrait Quality (Reference Facial Images for MRTD)" technical report (v1.0, 2018) and
ISO/IEC 19794-5: pose within ±5° of frontal in yaw and pitch, ±8° in roll; eyes open; a neutral expression with
the mouth closed. Yaw and pitch beyond the limit are errors (the document office rejects them); eyes and mouth
are warnings (the measures are ratios whose thresholds are ours, see below). A spec may tighten a limit through
``OVERRIDES``.

* ``eyes_open``: eye aspect ratio of the less open eye >= 0.15. Open eyes measure about 0.25–0.35 on the mesh,
  closed ones below 0.1; 0.15 flags half-shut eyes too.
* ``mouth_closed``: inner-lip gap / mouth width <= 0.06. Closed lips measure 0–0.03; a smile with teeth 0.1–0.3.
* ``geometry_confidence``: the lower of the chin and crown confidences (idphoto.geometry.confidence) >= 0.5. Below
  it the head height in the report cannot be vouched for, so the report fails instead of passing a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from idphoto.domain.types import HeadGeometry


@dataclass(frozen=True)
class FaceLimits:
    max_yaw_deg: float = 5.0
    max_pitch_deg: float = 5.0
    max_roll_deg: float = 8.0
    min_eye_openness: float = 0.15
    max_mouth_openness: float = 0.06
    min_geometry_confidence: float = 0.5


OVERRIDES: dict[str, dict[str, float]] = {}

SOURCE = "ICAO Portrait Quality TR v1.0 (2018) / ISO/IEC 19794-5: yaw, pitch ±5°, roll ±8°"


def face_limits(spec_id: str) -> FaceLimits:
    return replace(FaceLimits(), **OVERRIDES.get(spec_id, {}))


def _rule(name: str, value, lo, hi, unit: str, ok: bool, severity: str) -> dict:
    return {"rule": name, "value": value, "min": lo, "max": hi, "unit": unit, "pass": bool(ok),
            "severity": severity}


def _angle_rule(name: str, value: float | None, limit: float, severity: str = "error") -> dict:
    if value is None:     # not measured: never a pass
        return _rule(name, None, -limit, limit, "deg", False, severity)
    return _rule(name, round(value, 2), -limit, limit, "deg", abs(value) <= limit, severity)


def face_rules(spec_id: str, head: HeadGeometry) -> list[dict]:
    limits = face_limits(spec_id)
    confidence = min(head.chin_confidence, head.crown_confidence)
    eyes, mouth = head.eye_openness, head.mouth_openness
    return [
        _angle_rule("yaw_deg", head.yaw_deg, limits.max_yaw_deg),
        _angle_rule("pitch_deg", head.pitch_deg, limits.max_pitch_deg),
        _angle_rule("roll_deg", head.residual_roll_deg, limits.max_roll_deg),
        _rule("eyes_open", None if eyes is None else round(eyes, 3), limits.min_eye_openness, None, "ratio",
              eyes is not None and eyes >= limits.min_eye_openness, "warning"),
        _rule("mouth_closed", None if mouth is None else round(mouth, 3), None, limits.max_mouth_openness,
              "ratio", mouth is not None and mouth <= limits.max_mouth_openness, "warning"),
        _rule("geometry_confidence", round(confidence, 3), limits.min_geometry_confidence, 1.0, "score",
              confidence >= limits.min_geometry_confidence, "error"),
    ]


def face_measured(head: HeadGeometry) -> dict:
    """The report's ``measured`` entries for the face."""
    def r(v, n=3):
        return None if v is None else round(float(v), n)
    return {"yaw_deg": r(head.yaw_deg, 2), "pitch_deg": r(head.pitch_deg, 2), "eye_openness": r(head.eye_openness),
            "mouth_openness": r(head.mouth_openness), "mesh_score": r(head.mesh_score),
            "chin_confidence": r(head.chin_confidence), "crown_confidence": r(head.crown_confidence)}
