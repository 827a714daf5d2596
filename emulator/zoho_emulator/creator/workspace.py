"""The emulated Creator workspace: applications, form records, and reports as views of them.

Records live per form (as in Creator); a report is only a column selection over its form's
records, so a client exporting two reports of one form sees the same records, and tests
compare exports against ``project()`` of the very records the bulk API reads. Values are
canonical Python objects; how Creator writes them is the CSV writer's business.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from zoho_emulator.core.values import ValueGenerator
from zoho_emulator.core.wallclock import ZohoClock
from zoho_emulator.creator.app_catalog import (
    AUTO_NUMBER,
    CHECKBOX,
    CURRENCY,
    DATE,
    DATE_TIME,
    DECIMAL,
    DECISION_BOX,
    DROP_DOWN,
    EMAIL,
    MULTI_LINE,
    MULTI_SELECT,
    NAME,
    NUMBER,
    PERCENT,
    RADIO,
    RICH_TEXT,
    SEPARATOR_CHOICE,
    SINGLE_LINE,
    SYSTEM_KINDS,
    URL,
    AppSpec,
    CreatorField,
    CreatorForm,
    CreatorReport,
    forms,
    reports,
)

Record = dict[str, Any]
SPAN = dt.timedelta(days=730)
ID_PREFIXES = ("3838000", "4417000", "5129000", "6274000", "7391000", "8455000")
UPDATABLE_SYSTEM = ("Added_Time", "Modified_Time", "Added_User")

PRENOMS = (
    "Aïcha", "Koffi", "Éloïse", "Moussa", "Adjoa", "Séverin", "Fatoumata", "Noël", "Hervé",
    "Rasmata", "Zoé", "Ibrahim", "Chloé", "Abdoul-Karim",
)  # fmt: skip
NOMS = (
    "Houngbédji", "Ouédraogo", "Kaboré", "Zinsou", "N'Diaye", "Sawadogo", "Dossou-Yovo",
    "de la Fontaine", "Traoré", "Agbodjan", "Compaoré, fils", "Müller",
)  # fmt: skip
ENTREPRISES = (
    'Boutique "Chez Ama"', "Pharmacie de l'Étoile, Cotonou", "Coopérative Wend-Panga",
    "Société Générale d'Équipement (SGE)", "Épicerie 🌍 du Marché", "Hôtel Le Méridien, Ouaga",
    "École primaire Sainte-Thérèse", "Garage Ça Roule", "Clinique « La Grâce »", "Ferme 🐄 Yennenga",
    " Atelier Couture Fifi",
)  # fmt: skip
TITRES = (
    "Offre kit solaire – lot 2",  # noqa: RUF001 - en dash on purpose 'Renouvellement "Premium"', "Devis n°42 : école primaire",
    "Équipement 🔋 maternité", "Projet d'électrification, phase 1", "Contrat annuel ; maintenance",
    "Remplacement batteries", "Offre spéciale Tabaski 🐑",
)  # fmt: skip
PHRASES = (
    "Client rencontré au salon, relancer la semaine prochaine.",
    'Le client a dit : "rappeler après le déjeuner", deux fois.',
    "Livraison prévue à Parakou, semaine 12.",
    "Paiement par Mobile Money 📱 accepté.",
    "Remise exceptionnelle ; à valider par la direction.",
    "Ça marche, on signe lundi !",
    "Ligne avec espaces finaux   ",
    "Prix négocié à 12 500 FCFA l'unité, hors taxes.",
    "Besoin d'une démo du kit « Confort ».",
)  # fmt: skip
RUES = (
    "Lot 1234, quartier Fidjrossè", "Rue 15.12, Ouaga 2000", "BP 01 2345\nCotonou",
    "Avenue Kwame Nkrumah, 3e étage",
)  # fmt: skip
EMAILS = ("aicha.houngbedji", "k.ouedraogo", "moussa+offres", "eloise_zinsou", "rasmata.kabore")
DOMAINES = ("exemple.bj", "exemple.bf", "mail.exemple.org")
SITES = (
    "https://www.exemple.bj",
    "http://boutique.exemple.bf/produits?id=42&ref=crm",
    "https://exemple.com/société",
    "www.exemple.org",
)


class _FormState:
    """Mutable state of one form: its records, by id, and its auto-number counter."""

    def __init__(self, spec: CreatorForm) -> None:
        self.spec = spec
        self.records: list[Record] = []
        self.by_id: dict[str, Record] = {}
        self.autonumber = 1

    def add(self, record: Record) -> None:
        self.records.append(record)
        self.by_id[record["ID"]] = record


class CreatorApp:
    """One application: its spec, time zone, forms (with records) and reports."""

    def __init__(self, spec: AppSpec, owner: str, prefix: str, clock: ZohoClock | None = None) -> None:
        self.spec = spec
        self.owner = owner
        self.clock = clock or ZohoClock()
        self.tz = ZoneInfo(spec.time_zone)
        self.forms = {form.link_name: _FormState(form) for form in forms(spec.separator_choice)}
        self.reports = {report.link_name: report for report in reports(spec.narrow_reports)}
        self.prefix = prefix
        self.counter = 12_345

    @property
    def link_name(self) -> str:
        """The application's link name (URL segment)."""
        return self.spec.link_name

    def metadata(self) -> dict[str, Any]:
        """The Get Applications entry."""
        return self.spec.metadata(self.owner)

    def next_id(self, rng: random.Random) -> str:
        """A fresh 19-digit record ID (Creator IDs are long numeric strings)."""
        self.counter += rng.randint(1, 4)
        return f"{self.prefix}{self.counter:012d}"

    def now(self) -> dt.datetime:
        """Now (on Zoho's clock) in the application's time zone, whole seconds."""
        return self.clock.now(self.tz)

    # ------------------------------------------------------------ columns
    def resolve(self, form: str, name: str) -> str | None:
        """Value kind of a column of ``form`` (system, field, or ``Lookup.Field``); None if unknown."""
        if name in SYSTEM_KINDS:
            return SYSTEM_KINDS[name]
        spec = self.forms[form].spec
        base, dot, sub = name.partition(".")
        field = spec.field(base)
        if field is None:
            return None
        if not dot:
            return field.kind
        if field.lookup is None or "." in sub:
            return None
        target = self.forms[field.lookup].spec
        if sub in SYSTEM_KINDS:
            return SYSTEM_KINDS[sub]
        target_field = target.field(sub)
        return target_field.kind if target_field else None

    def resolve_shown(self, report: CreatorReport, name: str) -> str | None:
        """Value kind of a column ``report`` shows; None for any other (criteria and ``fields``
        name report columns, so a column the report hides is as unknown as a misspelt one)."""
        return self.resolve(report.form, name) if name in report.columns else None

    def field_metadata(self, form: str, choices: str = "objects") -> list[dict[str, Any]]:
        """Get Fields entries of ``form`` (``choices`` style: app_catalog.CHOICE_STYLES)."""
        return [field.metadata(choices, self.prefix) for field in self.forms[form].spec.fields]

    def value(self, form: str, record: Record, name: str) -> Any:
        """The canonical value of a column for a record (call under the data lock)."""
        base, dot, sub = name.partition(".")
        if not dot:
            return record.get(name)
        field = self.forms[form].spec.field(base)
        target_id = record.get(base)
        if field is None or field.lookup is None or target_id is None:
            return None
        target = self.forms[field.lookup].by_id.get(target_id)
        return target.get(sub) if target else None

    def project(self, report: CreatorReport, record: Record) -> Record:
        """A record as the report shows it: exactly the report's columns (values copied)."""
        return {column: copy.copy(self.value(report.form, record, column)) for column in report.columns}


class CreatorWorkspace:
    """One owner's applications; shares the dataset lock."""

    def __init__(
        self, owner: str, lock: threading.RLock, seed: int = 0, clock: ZohoClock | None = None
    ) -> None:
        self.owner = owner
        self.lock = lock
        self.clock = clock or ZohoClock()
        self.apps: dict[str, CreatorApp] = {}
        self._live_rng = random.Random(f"{seed}:creator:live")

    # ------------------------------------------------------------ generation
    @classmethod
    def build(
        cls,
        *,
        seed: int,
        owner: str,
        apps: Iterable[AppSpec],
        end: dt.datetime,
        count: Callable[[str, str], int],
        lock: threading.RLock,
        clock: ZohoClock | None = None,
        first_index: int = 0,
        scope: str = "",
    ) -> CreatorWorkspace:
        """Generate every app's records; ``count(app, form)`` gives the record count of a form.

        ``first_index`` offsets the apps' record ID prefixes and ``scope`` the random streams, so
        a second workspace holding apps of the same link names gets its own IDs and values.
        """
        workspace = cls(owner, lock, seed, clock)
        for offset, spec in enumerate(apps):
            if spec.link_name in workspace.apps:
                raise ValueError(f"duplicate Creator application {spec.link_name!r}")
            index = first_index + offset
            prefix = ID_PREFIXES[index % len(ID_PREFIXES)]
            prefix = f"{int(prefix) + index // len(ID_PREFIXES)}"
            app = CreatorApp(spec, owner, prefix, workspace.clock)
            workspace.apps[spec.link_name] = app
            local_end = end.astimezone(app.tz)
            for form in app.forms.values():
                rng = random.Random(f"{seed}:creator{scope}:{spec.link_name}:{form.spec.link_name}")
                gen = ValueGenerator(rng, local_end - SPAN, local_end)
                fresh = [
                    workspace._new_record(app, form, gen, None)
                    for _ in range(count(spec.link_name, form.spec.link_name))
                ]
                for field in form.spec.fields:
                    if field.long_text and fresh:
                        fresh[0][field.link_name] = gen.long_text(PHRASES)
                    if SEPARATOR_CHOICE in field.options and fresh:
                        fresh[0][field.link_name] = [SEPARATOR_CHOICE, field.options[0]]
                _number(form, sorted(fresh, key=lambda r: r["Added_Time"]))
                rng.shuffle(fresh)
                for record in fresh:
                    form.add(record)
            for form in app.forms.values():
                rng = random.Random(f"{seed}:creator{scope}:{spec.link_name}:{form.spec.link_name}:links")
                for record in form.records:
                    _link(app, form, record, rng)
        return workspace

    def _new_record(
        self, app: CreatorApp, form: _FormState, gen: ValueGenerator, stamp: dt.datetime | None
    ) -> Record:
        rng = gen.rng
        if stamp is None:
            added = gen.datetime_between(gen.start, gen.end - dt.timedelta(days=1))
            modified = added if rng.random() < 0.2 else gen.datetime_between(added, gen.end)
        else:
            added = modified = stamp
        record: Record = {
            "ID": app.next_id(rng),
            "Added_Time": added,
            "Modified_Time": modified,
            "Added_User": self.owner,
        }
        for field in form.spec.fields:
            record[field.link_name] = _value(app, field, gen)
        return record

    def use_clock(self, clock: ZohoClock) -> None:
        """Stamp "now" by ``clock`` from here on (every application too)."""
        self.clock = clock
        for app in self.apps.values():
            app.clock = clock

    # ------------------------------------------------------------ lookups
    def app(self, owner: str, app: str) -> CreatorApp:
        """An application by owner and link name (KeyError when unknown)."""
        if owner != self.owner or app not in self.apps:
            raise KeyError(f"unknown Creator application {owner}/{app}")
        return self.apps[app]

    def report(self, path: str) -> tuple[CreatorApp, CreatorReport]:
        """``owner/app/report`` → (app, report)."""
        owner, app_name, name = _split(path)
        app = self.app(owner, app_name)
        if name not in app.reports:
            raise KeyError(f"unknown Creator report {path}")
        return app, app.reports[name]

    def report_paths(self) -> list[str]:
        """Every report as ``owner/app/report``."""
        return [f"{self.owner}/{a}/{r}" for a, app in self.apps.items() for r in app.reports]

    # ------------------------------------------------------------ read API
    def records(self, path: str) -> list[Record]:
        """Canonical records of a report (projections, copies)."""
        with self.lock:
            app, report = self.report(path)
            return [app.project(report, record) for record in app.forms[report.form].records]

    def fields(self, path: str, choices: str = "objects") -> list[dict[str, Any]]:
        """Get Fields metadata of ``owner/app/form`` (``choices``: app_catalog.CHOICE_STYLES)."""
        owner, app_name, form = _split(path)
        app = self.app(owner, app_name)
        if form not in app.forms:
            raise KeyError(f"unknown Creator form {path}")
        return app.field_metadata(form, choices)

    # ------------------------------------------------------------ write API
    def add_records(self, path: str, n: int, created_time: dt.datetime | None = None) -> list[Record]:
        """``n`` new records of the report's form, added (and modified) now or at ``created_time``."""
        if created_time is not None and created_time.tzinfo is None:
            raise ValueError("created_time must be timezone-aware")
        with self.lock:
            app, report = self.report(path)
            form = app.forms[report.form]
            stamp = (created_time or app.now()).astimezone(app.tz).replace(microsecond=0)
            gen = ValueGenerator(self._live_rng, stamp - SPAN, stamp)
            fresh = [self._new_record(app, form, gen, stamp) for _ in range(n)]
            _number(form, fresh)
            for record in fresh:
                _link(app, form, record, self._live_rng)
                form.add(record)
            return [app.project(report, record) for record in fresh]

    def update_record(self, path: str, record_id: str, **values: Any) -> Record:
        """Change form values of one record; Modified_Time becomes now unless given."""
        with self.lock:
            app, report = self.report(path)
            form = app.forms[report.form]
            record = form.by_id.get(record_id)
            if record is None:
                raise KeyError(f"no record {record_id} in Creator report {path}")
            unknown = [k for k in values if k not in UPDATABLE_SYSTEM and form.spec.field(k) is None]
            if unknown:
                raise KeyError(f"unknown fields for Creator form {report.form}: {unknown}")
            record.update(values)
            if "Modified_Time" not in values:
                record["Modified_Time"] = app.now()
            return app.project(report, record)

    def delete_records(
        self, path: str, ids: Iterable[str], deleted_time: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Delete records of the report's form (every report of the form stops showing them):
        ``[{"id", "deleted_time"}]``, stamped now or at ``deleted_time``. Creator has no
        deleted-records API, so nothing else remembers them; lookups pointing at them stay."""
        if deleted_time is not None and deleted_time.tzinfo is None:
            raise ValueError("deleted_time must be timezone-aware")
        wanted = list(dict.fromkeys(ids))
        with self.lock:
            app, report = self.report(path)
            form = app.forms[report.form]
            missing = [record_id for record_id in wanted if record_id not in form.by_id]
            if missing:
                raise KeyError(f"no records {missing} in Creator report {path}")
            stamp = (deleted_time or app.now()).astimezone(app.tz).replace(microsecond=0)
            gone = set(wanted)
            form.records = [record for record in form.records if record["ID"] not in gone]
            for record_id in wanted:
                del form.by_id[record_id]
            return [{"id": record_id, "deleted_time": stamp} for record_id in wanted]


def _split(path: str) -> tuple[str, str, str]:
    parts = path.split("/")
    if len(parts) != 3 or not all(parts):
        raise KeyError(f"expected 'owner/app/name', got {path!r}")
    return parts[0], parts[1], parts[2]


def _number(form: _FormState, records: list[Record]) -> None:
    """Auto-number fields count up in creation order."""
    numbered = [f for f in form.spec.fields if f.type == AUTO_NUMBER]
    for offset, record in enumerate(records):
        for field in numbered:
            record[field.link_name] = form.autonumber + offset
    if numbered:
        form.autonumber += len(records)


def _text(rng: random.Random, field: CreatorField) -> str:
    hint = field.hint
    if hint == "company":
        return rng.choice(ENTREPRISES)
    if hint == "full_name":
        return f"{rng.choice(PRENOMS)} {rng.choice(NOMS)}"
    if hint == "subject":
        return rng.choice(TITRES)
    if hint == "phone":
        country, prefix = rng.choice((226, 229)), rng.randint(50, 99)
        return f"+{country} {prefix} {rng.randint(0, 99):02d} {rng.randint(0, 9999):04d}"
    return rng.choice(PHRASES)


def _value(app: CreatorApp, field: CreatorField, gen: ValueGenerator) -> Any:
    """A canonical value of a plain field (lookups are linked, auto-numbers numbered, later)."""
    rng = gen.rng
    kind = field.type
    if kind == DECISION_BOX:
        return rng.random() < 0.5
    if kind == AUTO_NUMBER or field.lookup or (not field.mandatory and rng.random() < 0.12):
        return None
    if kind == MULTI_LINE:
        if field.hint == "street":
            return rng.choice(RUES)
        return gen.textarea(PHRASES)
    if kind == RICH_TEXT:
        parts = [html.escape(rng.choice(PHRASES), quote=False) for _ in range(rng.randint(1, 2))]
        return "<div>" + "<br>".join(parts) + "</div>"
    if kind == EMAIL:
        return f"{rng.choice(EMAILS)}{rng.randint(1, 99)}@{rng.choice(DOMAINES)}"
    if kind == URL:
        return rng.choice(SITES)
    if kind in (DROP_DOWN, RADIO):
        return rng.choice(field.options)
    if kind in (MULTI_SELECT, CHECKBOX):
        return gen.choices(field.options)
    if kind == NUMBER:
        roll = rng.random()
        if roll < 0.15:
            return rng.randint(-500, -1)
        return rng.randint(10**9, 10**12) if roll < 0.2 else rng.randint(0, 5000)
    numeric = {DECIMAL: gen.double, PERCENT: gen.percent, CURRENCY: gen.currency, DATE: gen.date}
    if kind in numeric:
        return numeric[kind]()
    if kind == DATE_TIME:
        return gen.datetime_between(gen.start, gen.end)
    if kind in (SINGLE_LINE, NAME):
        return _text(rng, field)
    raise ValueError(f"no generator for Creator type {kind}")


def _link(app: CreatorApp, form: _FormState, record: Record, rng: random.Random) -> None:
    for field in form.spec.fields:
        if field.lookup is None:
            continue
        targets = app.forms[field.lookup].records
        if not targets or (not field.mandatory and rng.random() < 0.15):
            record[field.link_name] = None
        else:
            record[field.link_name] = rng.choice(targets)["ID"]


def app_specs(raw: Iterable[Mapping[str, Any] | AppSpec] | None, default: Iterable[AppSpec]) -> list[AppSpec]:
    """The apps to build: the defaults, or a test's overrides (dicts or AppSpecs)."""
    if raw is None:
        return list(default)
    return [item if isinstance(item, AppSpec) else AppSpec.from_mapping(item) for item in raw]
