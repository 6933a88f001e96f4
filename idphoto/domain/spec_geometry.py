"""Head geometry stated by official sources, per document id of the passport_photo_specs catalogue.

Every number here is in millimetres on the printed photo:

* ``head_mm``         chin to crown (top of the head), min/max;
* ``crown_margin_mm`` top edge of the photo to the crown, min/max (only where the source states it);
* ``eye_line_mm``     eye line height above the BOTTOM edge, min/max (only where the source states it);
* ``size_mm``         the photo's true size when the catalogue's rounded millimetres would mislead
                      (US 2x2 in is 50.8 mm, the catalogue says 51).

How this table was checked: a search over stored copies of public pages, not a live browse. Every entry says
what was actually read in ``verified`` and grades it in ``evidence``:

* ``official``     read on an official site (issuing authority, embassy, municipality) or in a copy of an
                   official leaflet or decree;
* ``quoted``       the authority's own wording, read as quoted on a non-official page;
* ``third-party``  only non-official summaries (photo shops, visa agencies) state the number.

The tables for Europe and the rest of the world live in ``spec_geometry_europe`` / ``spec_geometry_world``.
Documents that are not in ``OFFICIAL`` get the ICAO default (chin to crown 70-80 % of the photo height, see
``ICAO_DEFAULT_HEAD_FRACTION``). ``docs/specs.md`` lists the table (``python -m scripts.spec_geometry_doc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from idphoto.domain import spec_geometry_europe, spec_geometry_world

INCH_MM = 25.4

ICAO_DEFAULT_HEAD_FRACTION = (0.70, 0.80)
ICAO_DEFAULT_SOURCE = "ICAO Doc 9303 / ISO/IEC 19794-5 default"

Evidence = Literal["official", "quoted", "third-party"]


@dataclass(frozen=True)
class Geometry:
    head_mm: tuple[float, float]
    source: str
    verified: str
    evidence: Evidence
    crown_margin_mm: tuple[float, float] | None = None
    eye_line_mm: tuple[float, float] | None = None
    size_mm: tuple[float, float] | None = None


def _inches(lo: float, hi: float) -> tuple[float, float]:
    return (round(lo * INCH_MM, 3), round(hi * INCH_MM, 3))


_US = Geometry(
    evidence="official",
    head_mm=_inches(1.0, 1.375),          # 1 in .. 1 3/8 in = 25.4 .. 34.925 mm
    eye_line_mm=_inches(1.125, 1.375),    # 1 1/8 in .. 1 3/8 in above the bottom = 28.575 .. 34.925 mm
    size_mm=(2 * INCH_MM, 2 * INCH_MM),
    source=("U.S. Department of State, travel.state.gov 'Passport photos' and the brochure 'Guidelines for "
            "Producing High Quality Photographs for U.S. Travel Documents' (photo composition template); the same "
            "2x2 in rule serves passports, visas and the USCIS photos for the green card"),
    verified=("Head 1 to 1 3/8 in (25-35 mm) read on the U.S. Embassy Sofia photo page (usembassy.gov); head and "
              "eye level 1 1/8 to 1 3/8 in from the bottom read in the State Department brochure (mirrored by "
              "miamibeachfl.gov). The travel.state.gov page itself was not retrieved, nor was a USCIS page: the "
              "green card entry relies on USCIS asking for passport-style photos to the State Department rule."),
)

_SCHENGEN = Geometry(
    evidence="third-party",
    head_mm=(32.0, 36.0),
    source=("EU Visa Code Handbook / ICAO Doc 9303 Part 3 as applied by Schengen consulates: face 70-80 % of a "
            "35x45 mm photo, chin to crown 32-36 mm"),
    verified=("Not read on an EU page: 32-36 mm chin to crown seen only on consulate-agency and photo-service "
              "pages quoting the ICAO rule (70-80 % of 45 mm = 31.5-36 mm); no EU primary text was retrieved."),
)

_UK = Geometry(
    evidence="quoted",
    head_mm=(29.0, 34.0),
    source="GOV.UK 'Photos for passports': printed 45x35 mm, crown of the head to the chin 29-34 mm",
    verified=("29-34 mm read verbatim in the GOV.UK wording as republished by gov.tc (Turks and Caicos "
              "government passport page) and several UK photographers; gov.uk itself not retrieved."),
)

_CANADA = Geometry(
    evidence="quoted",
    head_mm=(31.0, 36.0),
    source=("IRCC / Passport Program 'Passport photo specifications': 50x70 mm, chin to crown (natural top of "
            "the head) 31-36 mm (1 1/4 - 1 7/16 in)"),
    verified=("31-36 mm and the inch equivalents read in the IRCC wording quoted by The UPS Store Canada and "
              "others; canada.ca itself not retrieved."),
)

_CHINA = Geometry(
    evidence="quoted",
    head_mm=(28.0, 33.0),
    crown_margin_mm=(3.0, 5.0),
    source=("Ministry of Foreign Affairs of the PRC / consular service 'photo requirements for passports and "
            "travel documents': 33x48 mm, head width 15-22 mm, chin to crown 28-33 mm, crown to top edge 3-5 mm, "
            "below the chin at least 7 mm"),
    verified=("Head 28-33 mm, top margin 3-5 mm and >= 7 mm below the chin read in the consular wording quoted "
              "on a forum (sgcn) and a photo-service guide; cs.mfa.gov.cn not retrieved. Older domestic "
              "rules (head width 21-24 mm) also circulate; head height 28-33 mm is common to both."),
)

_GERMANY = Geometry(
    evidence="quoted",
    head_mm=(32.0, 36.0),
    source=("Bundesministerium des Innern / Bundesdruckerei 'Foto-Mustertafel' and Passbildschablone: face 70-80 % "
            "of the 45 mm photo = 32-36 mm chin to top of the head; photos are rejected only below 27 or above "
            "40 mm"),
    verified=("32-36 mm ideal and 27/40 mm rejection bounds read in the Mustertafel text quoted by German "
              "photographers; the Mustertafel measures the top of the head without the hair volume. The "
              "template's eye zone could not be read reliably, so no eye line is encoded."),
)

_JAPAN = Geometry(
    evidence="official",
    head_mm=(32.0, 36.0),
    crown_margin_mm=(2.0, 6.0),
    source=("Ministry of Foreign Affairs of Japan, 'Notice on photos for passport applications': 45x35 mm, "
            "crown to chin 32-36 mm (34 +/- 2), margin above the head 2-6 mm (4 +/- 2)"),
    verified=("32-36 mm and the 2-6 mm top margin read on prefectural passport pages (pref.miyazaki.lg.jp, "
              "city.noboribetsu.lg.jp) that reproduce the MOFA rule; mofa.go.jp itself not retrieved."),
)

_AUSTRALIA = Geometry(
    evidence="official",
    head_mm=(32.0, 36.0),
    source=("Australian Passport Office (DFAT), passports.gov.au 'Photo guidelines': chin to crown 32-36 mm on a "
            "35-40 x 45-50 mm photo"),
    verified=("32-36 mm read in the APO 'Guidelines for the photographic industry' (passports.gov.au, mirrored "
              "on docslib) and the Australian Passport Photo Guide wording; the catalogue's 35x45 mm is inside "
              "the allowed size range."),
)

_INDIA = Geometry(
    evidence="quoted",
    head_mm=(36.0, 38.25),
    source=("Ministry of External Affairs ICAO photo guidelines in force from 2025-09-01 (published by the "
            "Consulate General of India, Dubai): head and top of the shoulders with the face taking 80-85 % of "
            "the photograph, 630x810 px, white background"),
    verified=("80-85 % read in the consulate's guideline as reported by Arabian Business and Gulf News "
              "(2025-08-29); passportindia.gov.in itself was not retrieved. The guideline says 'face', taken "
              "here as chin to crown: 80-85 % of 45 mm = 36-38.25 mm. Older mission pages ask for 2x2 in."),
)

_CORE: dict[str, Geometry] = {
    "us-passport": _US,
    "us-visa": _US,                   # the State Department brochure covers passport and visa photos alike
    "us-green-card": _US,             # USCIS photos follow the State Department 2x2 in rule
    "schengen-visa": _SCHENGEN,
    "uk-passport": _UK,
    "canada-passport": _CANADA,
    "china-passport": _CHINA,
    "germany-passport": _GERMANY,
    "germany-id-card": _GERMANY,      # the Foto-Mustertafel applies to passports and ID cards
    "japan-passport": _JAPAN,
    "australia-passport": _AUSTRALIA,
    "india-passport": _INDIA,
}


def _merged() -> dict[str, Geometry]:
    table = dict(_CORE)
    for region in (spec_geometry_europe.TABLE, spec_geometry_world.TABLE):
        shared: dict[int, Geometry] = {}      # one Geometry per dict, so shared entries stay one object
        for doc_id, fields in region.items():
            if doc_id in table:
                raise ValueError(f"document {doc_id!r} appears in two geometry tables")
            table[doc_id] = shared.setdefault(id(fields), Geometry(**fields))
    return table


OFFICIAL: dict[str, Geometry] = _merged()
