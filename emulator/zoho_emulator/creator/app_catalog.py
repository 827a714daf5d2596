"""The forms, reports and applications of the emulated Zoho Creator workspace.

Modelled on a real user's two country apps (Bénin, Burkina Faso), each with a
``Tous_les_Offres`` report (original-docs/creator-bulk-api-user-notes.md), and chosen so
that every Creator field type code a bulk-read client must decode (https://www.zoho.com/creator/help/api/v2.1/get-fields.html)
appears in a result file, plus a report column no form field metadata describes
(``Client.Nom``, a lookup's display value) and a form field no report shows.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoho_emulator.core.javadate import STAMP_PATTERN, format_pattern

# Creator field type codes (https://www.zoho.com/creator/help/api/v2.1/get-fields.html).
SINGLE_LINE, MULTI_LINE, EMAIL, RICH_TEXT = 1, 2, 3, 4
NUMBER, DECIMAL, PERCENT, CURRENCY, AUTO_NUMBER = 5, 6, 7, 8, 9
DATE, DATE_TIME, DROP_DOWN, RADIO, MULTI_SELECT, CHECKBOX, DECISION_BOX, URL = 10, 11, 12, 13, 14, 15, 16, 17
NAME = 29

# Value kinds the generator, the criteria evaluator and the CSV writer agree on.
KIND_BY_TYPE = {
    SINGLE_LINE: "text", MULTI_LINE: "text", EMAIL: "text", RICH_TEXT: "text", URL: "text",
    NAME: "text", DROP_DOWN: "text", RADIO: "text",
    NUMBER: "number", AUTO_NUMBER: "number", DECIMAL: "number", PERCENT: "number", CURRENCY: "number",
    DATE: "date", DATE_TIME: "datetime", MULTI_SELECT: "multi", CHECKBOX: "multi",
    DECISION_BOX: "bool",
}  # fmt: skip
MAX_CHAR = {
    SINGLE_LINE: 255, MULTI_LINE: 200_000, EMAIL: 255, RICH_TEXT: 200_000, URL: 255, NAME: 255,
    NUMBER: 18, AUTO_NUMBER: 18, DECIMAL: 18, PERCENT: 18, CURRENCY: 18, DATE: 11,
    DATE_TIME: 20, DROP_DOWN: 255, RADIO: 255, MULTI_SELECT: 255, CHECKBOX: 255, DECISION_BOX: 5,
}  # fmt: skip

# Columns Creator adds to every record, as reports show them.
SYSTEM_COLUMNS = ("ID", "Added_Time", "Modified_Time", "Added_User")
SYSTEM_KINDS = {"ID": "id", "Added_Time": "datetime", "Modified_Time": "datetime", "Added_User": "text"}

CHOICE_TYPES = (DROP_DOWN, RADIO, MULTI_SELECT, CHECKBOX)
CHOICE_STYLES = ("objects", "strings", "none")  # EmulatorOptions.creator_field_choices
# A choice that itself holds the ", " Creator joins multi-select choices with (AppSpec.separator_choice).
SEPARATOR_CHOICE = "Fer, acier"

FORM_TYPE = 1  # a regular (stateful) form; 2 = stateless (OAS example)
LIST_REPORT, SPREADSHEET_REPORT = 1, 6  # 5 = map, 6 = spreadsheet (OAS example); 1 assumed = list


@dataclass(frozen=True)
class CreatorField:
    """One form field; ``lookup`` names the target form of a lookup (served as type 12)."""

    link_name: str
    display_name: str
    type: int
    mandatory: bool = False
    unique: bool = False
    options: tuple[str, ...] = ()
    lookup: str | None = None
    hint: str = ""
    long_text: bool = False  # some records get more than 140,000 characters

    @property
    def kind(self) -> str:
        """How values of this field are generated, compared and written."""
        return "id" if self.lookup else KIND_BY_TYPE[self.type]

    def metadata(self, choices: str = "objects", prefix: str = "3838000") -> dict[str, Any]:
        """The Get Fields entry (key order as Zoho's sample), with the ``choices`` of a drop-down,
        radio, multi-select or checkbox field in the ``choices`` style (see CHOICE_STYLES)."""
        entry: dict[str, Any] = {
            "unique": self.unique,
            "max_char": MAX_CHAR[self.type],
            "display_name": self.display_name,
            "link_name": self.link_name,
            "type": self.type,
            "mandatory": self.mandatory,
        }
        if self.type in CHOICE_TYPES and self.lookup is None and choices != "none":
            objects = [{"display_value": o, "id": self.choice_id(o, prefix)} for o in self.options]
            entry["choices"] = list(self.options) if choices == "strings" else objects
        return entry

    def choice_id(self, choice: str, id_prefix: str = "3838000") -> str:
        """A stable 19-digit id of one choice (Creator ids are long numeric strings)."""
        return f"{id_prefix}{zlib.crc32(f'{self.link_name}/{choice}'.encode()):012d}"


@dataclass(frozen=True)
class CreatorForm:
    """A form: the record store behind reports."""

    link_name: str
    display_name: str
    fields: tuple[CreatorField, ...]
    section: str  # the section (menu group) that lists the form and its reports

    def field(self, link_name: str) -> CreatorField | None:
        """A field by link name, or None."""
        return next((f for f in self.fields if f.link_name == link_name), None)


@dataclass(frozen=True)
class CreatorReport:
    """A report: the records of ``form`` shown with ``columns`` (CSV order).

    ``section`` is the menu section listing the report; None = its form's section. Sections are
    arranged by the app's author, so a report may sit in a section without its form (as in Zoho's
    own Get Sections example): nothing in the metadata then says which form feeds it.
    """

    link_name: str
    display_name: str
    form: str
    columns: tuple[str, ...]
    type: int = LIST_REPORT
    section: str | None = None


@dataclass(frozen=True)
class AppSpec:
    """An application: names, time zone and the date format its data is written in, and the
    awkward variants a client must survive (all off by default):

    - ``separator_choice``: the Produits multi-select offers SEPARATOR_CHOICE ("Fer, acier"),
      which holds the CSV's own ", " separator, and the first Offre record picks it;
    - ``narrow_reports``: three more Offre reports, Offres_Sans_Ajout (no Added_Time),
      Offres_Sans_Dates (neither Added_Time nor Modified_Time) and Offres_Sans_ID (no ID);
    - ``omit_metadata``: Get Applications keys left out of the app's entry, e.g.
      ("date_format", "time_zone"); its data is still written in ``date_format`` / ``time_zone``.
    """

    link_name: str
    application_name: str
    time_zone: str
    date_format: str
    category: int = 1
    created: dt.datetime = dt.datetime(2021, 3, 14, 9, 12, 40)
    separator_choice: bool = False
    narrow_reports: bool = False
    omit_metadata: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> AppSpec:
        """An app from a test's override dict (``link_name`` required, the rest defaulted)."""
        link = str(raw["link_name"])
        return cls(
            link_name=link,
            application_name=str(raw.get("application_name", link)),
            time_zone=str(raw.get("time_zone", "UTC")),
            date_format=str(raw.get("date_format", "dd-MMM-yyyy")),
            category=int(raw.get("category", 1)),
            created=raw.get("created", cls.created),
            separator_choice=bool(raw.get("separator_choice", False)),
            narrow_reports=bool(raw.get("narrow_reports", False)),
            omit_metadata=tuple(raw.get("omit_metadata", ())),
        )

    def metadata(self, owner: str) -> dict[str, Any]:
        """The Get Applications entry (key order as Zoho's sample), less ``omit_metadata``."""
        entry = {
            "application_name": self.application_name,
            "date_format": self.date_format,
            "creation_date": format_pattern(self.created, STAMP_PATTERN),
            "link_name": self.link_name,
            "category": self.category,
            "time_zone": self.time_zone,
            "created_by": owner,
            "workspace_name": owner,
        }
        return {key: value for key, value in entry.items() if key not in self.omit_metadata}


DEFAULT_APPS = (
    AppSpec("sales-benin", "Ventes Bénin", "Africa/Porto-Novo", "dd-MMM-yyyy"),
    AppSpec(
        "sales-burkina",
        "Ventes Burkina",
        "Africa/Ouagadougou",
        "dd-MMM-yyyy",
        created=dt.datetime(2022, 6, 1, 17, 45, 3),
    ),
)

F = CreatorField
STATUTS = ("Ouvert", "Gagné", "Perdu", "En attente", "Annulé")
PRODUITS = (
    "Kit solaire 🔆", "Télévision", "Réfrigérateur", "Lampe LED", 'Batterie "Pro"', "Ventilateur",
    "Radio FM",
)  # fmt: skip
CANAUX = ("SMS", "Appel", "Visite terrain", "WhatsApp", "E-mail")
# Pipeline_Commercial: a few Offre fields plus a lookup's display value no field metadata describes.
PIPELINE_FIELDS = ("Titre", "Client", "Client.Nom", "Statut", "Montant", "Date_Offre", "Date_Relance")
VILLES = ("Cotonou", "Porto-Novo", "Parakou", "Ouagadougou", "Bobo-Dioulasso", "Koudougou", "Abomey-Calavi")


def forms(separator_choice: bool = False) -> tuple[CreatorForm, ...]:
    """The forms of every application (targets of lookups first); ``separator_choice`` adds
    SEPARATOR_CHOICE to the Produits choices."""
    produits = (*PRODUITS, SEPARATOR_CHOICE) if separator_choice else PRODUITS
    client = CreatorForm(
        "Client", "Client",
        (
            F("Nom", "Nom", SINGLE_LINE, mandatory=True, unique=True, hint="company"),
            F("Contact", "Contact", NAME, hint="full_name"),
            F("Email", "E-mail", EMAIL),
            F("Telephone", "Téléphone", SINGLE_LINE, hint="phone"),
            F("Ville", "Ville", DROP_DOWN, options=VILLES),
            F("Segment", "Segment", RADIO, options=("Particulier", "Entreprise", "ONG")),
            F("Date_Inscription", "Date d'inscription", DATE),
            F("Actif", "Actif", DECISION_BOX),
            F("Solde", "Solde (FCFA)", CURRENCY),
            F("Adresse", "Adresse", MULTI_LINE, hint="street"),
            F("Site_Web", "Site web", URL),
        ),
        section="Clients",
    )  # fmt: skip
    offre = CreatorForm(
        "Offre", "Offre",
        (
            F("Numero", "Numéro", AUTO_NUMBER),
            F("Titre", "Titre", SINGLE_LINE, mandatory=True, hint="subject"),
            F("Client", "Client", DROP_DOWN, lookup="Client"),
            F("Contact", "Contact", NAME, hint="full_name"),
            F("Email", "E-mail", EMAIL),
            F("Statut", "Statut", DROP_DOWN, mandatory=True, options=STATUTS),
            F("Priorite", "Priorité", RADIO, options=("Haute", "Moyenne", "Basse")),
            F("Produits", "Produits", MULTI_SELECT, options=produits),
            F("Canaux", "Canaux de contact", CHECKBOX, options=CANAUX),
            F("Quantite", "Quantité", NUMBER),
            F("Prix_Unitaire", "Prix unitaire", DECIMAL),
            F("Remise", "Remise (%)", PERCENT),
            F("Montant", "Montant (FCFA)", CURRENCY),
            F("Date_Offre", "Date de l'offre", DATE),
            F("Date_Relance", "Date de relance", DATE_TIME),
            F("Est_Signe", "Signé ?", DECISION_BOX),
            F("Site_Web", "Site web", URL),
            F("Description", "Description", MULTI_LINE, long_text=True),
            F("Notes", "Notes", RICH_TEXT),
            F("Commentaire_Interne", "Commentaire interne", SINGLE_LINE),  # in no report
        ),
        section="Offres",
    )  # fmt: skip
    return (client, offre)


def reports(narrow: bool = False) -> tuple[CreatorReport, ...]:
    """The reports of every application; ``narrow`` adds Offre reports that do not show some of
    Creator's system columns (a report shows the columns its author picked)."""
    offre_fields = [f.link_name for f in forms()[1].fields if f.link_name != "Commentaire_Interne"]
    client_fields = [f.link_name for f in forms()[0].fields]
    extra = (
        CreatorReport("Offres_Sans_Ajout", "Offres sans date d'ajout", "Offre",
                      ("ID", "Modified_Time", "Added_User", *offre_fields)),
        CreatorReport("Offres_Sans_Dates", "Offres sans dates", "Offre", ("ID", "Added_User", *offre_fields)),
        CreatorReport("Offres_Sans_ID", "Offres sans ID", "Offre",
                      ("Added_Time", "Modified_Time", "Added_User", *offre_fields)),
    ) if narrow else ()  # fmt: skip
    return (
        CreatorReport("Tous_les_Offres", "Tous les Offres", "Offre", (*SYSTEM_COLUMNS, *offre_fields)),
        CreatorReport("All_Clients", "All Clients", "Client", (*SYSTEM_COLUMNS, *client_fields)),
        CreatorReport(
            "Pipeline_Commercial",
            "Pipeline commercial",
            "Offre",
            (*SYSTEM_COLUMNS, *PIPELINE_FIELDS),
            type=SPREADSHEET_REPORT,
            section="Pilotage",
        ),
        *extra,
    )
