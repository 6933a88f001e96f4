"""Official head geometry for documents outside Europe (see ``spec_geometry`` for fields and evidence levels).

Plain dicts, turned into ``Geometry`` by ``spec_geometry``; one dict may serve several document ids.
"""

from __future__ import annotations


def _entry(**fields: object) -> dict:
    """The keyword arguments of one ``Geometry``."""
    return fields

_CANADA_VISA = _entry(
    head_mm=(31.0, 36.0), evidence="official",
    source=("IRCC leaflet 'Visa Application Photograph Specifications' (C&I-767): frame at least 35x45 mm, face "
            "31-36 mm (1 1/4 - 1 7/16 in) from chin to crown"),
    verified="Read in a scribd copy of the IRCC leaflet (Ci51-193/2006E); canada.ca not retrieved.",
)

_HONG_KONG = _entry(
    head_mm=(32.0, 36.0), evidence="official",
    source=("Immigration Department of the HKSAR, 'Photo Requirements for Travel Document': 40x50 mm, chin to "
            "crown 32-36 mm, sufficient headroom"),
    verified="Read on immd.gov.hk 'Photo Requirements for Travel Document'.",
)

_MALAYSIA = _entry(
    head_mm=(25.0, 30.0), evidence="quoted",
    source=("Immigration Department of Malaysia, 'Malaysian International Passport' photo specification: 35x50 mm, "
            "bottom of the chin to top of the head 25-30 mm"),
    verified="Read as the imi.gov.my page text reproduced on statusin.org; imi.gov.my itself not retrieved.",
)

_SOUTH_AFRICA = _entry(
    head_mm=(31.5, 36.0), evidence="official",
    source=("Department of Home Affairs leaflet 'Passport & ID Photograph Specifications': 35x45 mm, close-up of "
            "head and shoulders with the face taking 70-80 % of the photograph"),
    verified="Read in a copy of the DHA leaflet (hitpages.com). 70-80 % of 45 mm = 31.5-36 mm.",
)

_TAIWAN = _entry(
    head_mm=(32.0, 36.0), evidence="quoted",
    source=("Bureau of Consular Affairs (MOFA) chip-passport photo specification: 35x45 mm without border, top of "
            "the head to the chin 3.2-3.6 cm, head and hair not touching the frame"),
    verified=("Not read on boca.gov.tw: the rule read as quoted on a pixnet blog and on wenewstw.com, both citing "
              "boca.gov.tw; household-registration office pages (taichung.gov.tw, kcg.gov.tw) only link to it."),
)

_SOUTH_KOREA = _entry(
    head_mm=(32.0, 36.0), evidence="third-party",
    source="Ministry of Foreign Affairs passport photo standard: 35x45 mm, head length (crown to chin) 3.2-3.6 cm",
    verified=("Not read on passport.go.kr: 3.2-3.6 cm read on Korean-language guides (phongnhaexplorer) and a "
              "Vietnamese studio page. Older official pages retrieved (goyang.go.kr; a 2015 MOFA Los Angeles "
              "notice) say 2.5-3.5 cm; the newer figure is used."),
)

_NEW_ZEALAND = _entry(
    head_mm=(32.0, 36.0), evidence="quoted",
    source=("Department of Internal Affairs passport photo requirements: 45x35 mm, head at most 80 % (36 mm) and "
            "at least 70 % (32 mm) of the photo"),
    verified=("Read as DIA's wording quoted on a forum (china2au.com); an archived DIA page "
              "(ndhadeliver.natlib.govt.nz, 2006) was retrieved but its excerpt stops before the numbers."),
)

_PHILIPPINES = _entry(
    head_mm=(32.0, 36.0), evidence="third-party",
    source="Department of Foreign Affairs passport photo rules (ICAO-aligned): 35x45 mm, chin to crown 32-36 mm",
    verified=("Not read on dfa.gov.ph: 32-36 mm read on a photo-tool page (clonypdf.com); other guides give only "
              "70-80 %. DFA takes the photo itself at most appointments."),
)

_SINGAPORE = _entry(
    head_mm=(25.0, 35.0), evidence="third-party",
    source="Immigration & Checkpoints Authority passport photo rules: 35x45 mm, chin to crown 25-35 mm",
    verified=("Not read on an official page with numbers: ica.gov.sg 'passport photo guidelines' was retrieved "
              "and gives size, background and pose but no head size; 25-35 mm read on goodwinsonline.com."),
)

_KUWAIT = _entry(
    head_mm=(22.0, 25.0), evidence="third-party",
    source="Kuwait passport application checklist: two 4x6 cm colour photos, face length 2.2-2.5 cm, centred",
    verified=("Not read on an official page: read on passportphotoaz.com, which reproduces what looks like the "
              "embassy's document checklist."),
)

_VIETNAM_VISA = _entry(
    head_mm=(25.4, 34.925), evidence="third-party",
    source="Vietnam visa-on-arrival photo rule: bottom of the chin to top of the head 1 to 1 3/8 in",
    verified=("Not read on an official page: read on visa-agency pages (vietnam-immigration.org, "
              "vietnamvisaservice.org); the Immigration Department's own page was not retrieved."),
)

_LEBANON = _entry(
    head_mm=(25.0, 35.0), eye_line_mm=(29.0, 35.0), evidence="third-party",
    source=("General Security passport photo rule: 35x45 mm, top of the hair to chin 25-35 mm, eyes 29-35 mm above "
            "the bottom edge"),
    verified="Not read on an official page: read on kodak-express.co.uk (a UK photo chain's country list).",
)

_NIGERIA = _entry(
    head_mm=(31.5, 36.0), evidence="third-party",
    source="Nigeria Immigration Service passport photo rules: 35x45 mm, face 70-80 % of the photo",
    verified=("Not read on immigration.gov.ng: 70-80 % read on timpson.co.uk (a UK photo chain). "
              "70-80 % of 45 mm = 31.5-36 mm."),
)

_SRI_LANKA = _entry(
    head_mm=(31.5, 36.0), evidence="third-party",
    source="Department of Immigration and Emigration photo rule: 35x45 mm, top of the hair to chin 31.5-36 mm",
    verified="Not read on immigration.gov.lk: read only on digitalpassportphoto.online (a photo tool's guide).",
)

_GEORGIA = _entry(
    head_mm=(31.5, 36.0), evidence="third-party",
    source="Public Service Development Agency passport photo rules: 35x45 mm, head 70-80 % of the photo height",
    verified=("Not read on sda.gov.ge: 70-80 % read on anfas.pro, which cites the agency. 70-80 % of 45 mm "
              "= 31.5-36 mm."),
)

TABLE: dict[str, dict] = {
    "canada-visa": _CANADA_VISA,
    "hk-passport": _HONG_KONG,
    "malaysia-passport": _MALAYSIA,
    "south-africa-passport": _SOUTH_AFRICA,
    "south-africa-id-card": _SOUTH_AFRICA,   # the DHA leaflet covers passports and IDs
    "taiwan-passport": _TAIWAN,
    "south-korea-passport": _SOUTH_KOREA,
    "nz-passport": _NEW_ZEALAND,
    "philippines-passport": _PHILIPPINES,
    "singapore-passport": _SINGAPORE,
    "kuwait-passport": _KUWAIT,
    "vietnam-visa": _VIETNAM_VISA,
    "lebanon-passport": _LEBANON,
    "nigeria-passport": _NIGERIA,
    "sri-lanka-passport": _SRI_LANKA,
    "georgia-passport": _GEORGIA,
}
