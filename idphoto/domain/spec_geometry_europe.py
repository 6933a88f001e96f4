"""Official head geometry for European documents (see ``spec_geometry`` for the field meanings and evidence levels).

Plain dicts, turned into ``Geometry`` by ``spec_geometry``; one dict may serve several document ids.
"""

from __future__ import annotations


def _entry(**fields: object) -> dict:
    """The keyword arguments of one ``Geometry``."""
    return fields

_FRANCE = _entry(
    head_mm=(32.0, 36.0), evidence="official",
    source=("Agence nationale des titres sécurisés (ANTS), 'La photographie d'identité': 35x45 mm, face 32-36 mm "
            "from the bottom of the chin to the top of the skull, hair not counted (passport and identity card)"),
    verified=("Read on passeport.ants.gouv.fr, page 'La photographie d'identité'; the same 32-36 mm are on the "
              "Alpes-Maritimes prefecture page (alpes-maritimes.gouv.fr)."),
)

_NETHERLANDS = _entry(
    head_mm=(26.0, 30.0), evidence="official",
    source=("Rijksdienst voor Identiteitsgegevens (RvIG) / RDW 'Fotomatrix' acceptance criteria for Dutch travel "
            "documents: 35x45 mm, chin to crown 26-30 mm from age 11"),
    verified=("26-30 mm read in copies of the Fotomatrix model 2007 (scribd) and of Fotomatrix model 2020 "
              "(fdocuments.nl transcript); rvig.nl was retrieved but only names the brochure. The eye zone of the "
              "2020 matrix could not be read reliably, so no eye line is encoded."),
)

_AUSTRIA = _entry(
    head_mm=(30.0, 36.0), evidence="official",
    source=("Bundesministerium für Inneres, 'Passbild-Kriterien': 35x45 mm, head from chin tip to crown about two "
            "thirds of the picture and not higher than 36 mm (all identity documents)"),
    verified=("Read on bmi.gv.at 'Passbild-Kriterien' (also in a 2006 City of Vienna press release). The source "
              "gives only 'about 2/3' for the lower end; 30 mm (2/3 of 45 mm) is our reading of it."),
)

_POLAND = _entry(
    head_mm=(31.0, 36.0), eye_line_mm=(20.0, 30.0), evidence="official",
    source=("Ministry of Foreign Affairs of Poland, consular page 'Fotografia' for passport applications: 35x45 mm, "
            "head 31-36 mm (70-80 %), eyes 20-30 mm above the bottom edge"),
    verified=("Read on kanton.msz.gov.pl (Consulate General in Guangzhou); the same numbers are on a county "
              "public-information bulletin (bip.powiat-wolominski.pl). The gov.pl voivodeship page says only 70-80 %."),
)

_TURKEY = _entry(
    head_mm=(32.0, 36.0), evidence="official",
    source=("Ministry of Foreign Affairs of Türkiye, Consulate General in Houston notice on e-passport photos "
            "(2011): 50x50 or 50x60 mm, face height 32-36 mm (70-80 %)"),
    verified=("Read on houston.bk.mfa.gov.tr (notice dated 01.04.2011); nvi.gov.tr not retrieved. The "
              "catalogue's 50x60 mm is one of the two sizes the notice allows."),
)

_BELARUS = _entry(
    head_mm=(32.0, 35.0), evidence="official",
    source=("Ministry of Foreign Affairs of Belarus, Embassy in Italy passport photo requirements: chin to top of "
            "the head 32-35 mm on a 40x50 mm print template that is cut to 35x45 mm"),
    verified=("Read on italy.mfa.gov.by (Italian page). It also asks for 2-3 mm above the head on the template; "
              "whether that is before or after cutting is unclear, so no crown margin is encoded."),
)

_DENMARK = _entry(
    head_mm=(30.0, 36.0), evidence="official",
    source=("Ministry of Foreign Affairs of Denmark, embassy page 'Udstedelse af danske pas': 35x45 mm, head "
            "30-36 mm from the chin tip to the top of the hair"),
    verified=("Read on rumaenien.um.dk; the passport order (pasbekendtgørelsen § 5 on elov.dk) was retrieved "
              "but states no size. The source measures to the top of the hair, not the skull."),
)

_BELGIUM = _entry(
    head_mm=(31.0, 36.0), evidence="official",
    source=("FPS Interior ICAO photo criteria for identity cards, Kids-ID and passports (since 16 January 2017), "
            "as published by the municipality of Laarne: 35x45 mm, face length 31-36 mm (70-80 %)"),
    verified=("Read on laarne.be 'Identiteitsdocumenten'. Another municipality (modave.be) still says 25-35 mm; "
              "the Laarne figure matches the 2017 rule. The FPS Interior photo matrix was not retrieved."),
)

_NORWAY = _entry(
    head_mm=(31.5, 36.0), evidence="official",
    source=("Norwegian Police, 'Opplysninger i pass': photos brought by the applicant (children under 3, "
            "emergency passports) are 45x35 mm with the face covering 70-80 % of the picture"),
    verified=("Read on politiet.no; ordinary passport photos are taken at the passport office. 70-80 % of the "
              "45 mm height = 31.5-36 mm (the page says 'bildeflaten', read here as the height)."),
)

_FINLAND = _entry(
    head_mm=(32.0, 36.0), crown_margin_mm=(4.0, 6.0), evidence="official",
    source=("Finnish Ministry of the Interior decree 532/2015 on passport photographs: 36x47 mm, crown to chin tip "
            "32-36 mm, crown to top edge 4-6 mm, chin tip to bottom edge 7-9 mm, hair and beard not counted"),
    verified=("Read in the Swedish text of the decree on finlex.fi (532/2015); its predecessor 708/2006 has the "
              "same 32-36 mm. The 7-9 mm below the chin follows from the other two ranges."),
)

_ITALY = _entry(
    head_mm=(31.5, 36.0), evidence="official",
    source="Passport photo rules published by the Comune di Rivignano Teor: the face takes 70-80 % of the photo",
    verified=("Read on comune.rivignanoteor.ud.it 'Richiesta di passaporto'; poliziadistato.it not retrieved. "
              "70-80 % of the catalogue's 45 mm = 31.5-36 mm."),
)

_RUSSIA_INTERNAL = _entry(
    head_mm=(31.5, 36.0), crown_margin_mm=(4.0, 6.0), evidence="quoted",
    source=("MVD administrative regulation for the internal passport (in force 11 January 2021): crown to chin at "
            "most 80 % of the frame height, free field above the head 5 +/- 1 mm"),
    verified=("Read in the regulation wording quoted by Argumenty i Fakty (aif.ru); mvd.ru not retrieved. Only the "
              "80 % upper bound (36 mm) is stated; the 31.5 mm lower bound is the ICAO 70 %, not a Russian number."),
)

_GERMANY_VISA = _entry(
    head_mm=(32.0, 36.0), evidence="official",
    source="German Embassy Riga, visa photo requirements: 45x35 mm, face 70-80 % of the photo (32-36 mm)",
    verified="Read on riga.diplo.de (Russian-language visa page).",
)

_SWITZERLAND = _entry(
    head_mm=(29.0, 34.0), evidence="third-party",
    source="fedpol 'Fotomustertafel' for Swiss passports and identity cards: 35x45 mm, chin to crown 29-34 mm",
    verified=("Not read on an official page: 29-34 mm read on passbild.ch and persofoto.de. schweizerpass.admin.ch "
              "was retrieved but states only the digital-photo rule (eyes at 50-70 % of the height)."),
)

_IRELAND = _entry(
    head_mm=(31.5, 36.0), evidence="quoted",
    source="Department of Foreign Affairs passport photo guidelines: at least 35x45 mm, head 70-80 % of the photo",
    verified=("70-80 % read in the DFA list as summarised by timpson.co.uk; dfa.ie's 'Passport Online "
              "Photographer Guidelines' was retrieved but covers digital files only. 70-80 % of 45 mm = 31.5-36 mm."),
)

_CROATIA = _entry(
    head_mm=(31.5, 36.0), evidence="third-party",
    source=("Croatian Ministry of the Interior photo rules: 35x45 mm, chin to top of the head (hair excluded) "
            "31.5-36 mm"),
    verified=("Not read on an official page: read on passbild-bestimmungen.de; mvep.gov.hr was retrieved but "
              "only refers to 'international standards for biometric passport photos'."),
)

_ESTONIA = _entry(
    head_mm=(35.0, 40.0), evidence="third-party",
    source=("Police and Border Guard Board document photo rules: 40x50 mm, chin to top of the head 70-80 % of the "
            "height"),
    verified=("Not read on an official page: 70-80 % read on timpson.co.uk and persofoto.de. 70-80 % of 50 mm "
              "= 35-40 mm."),
)

TABLE: dict[str, dict] = {
    "france-passport": _FRANCE,
    "france-id-card": _FRANCE,          # the ANTS page covers both documents
    "netherlands-passport": _NETHERLANDS,
    "austria-passport": _AUSTRIA,
    "austria-id-card": _AUSTRIA,        # the BMI criteria apply to all identity documents
    "poland-passport": _POLAND,
    "turkey-passport": _TURKEY,
    "belarus-passport": _BELARUS,
    "denmark-passport": _DENMARK,
    "belgium-passport": _BELGIUM,
    "belgium-id-card": _BELGIUM,
    "norway-passport": _NORWAY,
    "finland-passport": _FINLAND,
    "italy-passport": _ITALY,
    "russia-internal-passport": _RUSSIA_INTERNAL,
    "germany-visa": _GERMANY_VISA,
    "switzerland-passport": _SWITZERLAND,
    "ireland-passport": _IRELAND,
    "croatia-passport": _CROATIA,
    "estonia-passport": _ESTONIA,
}
