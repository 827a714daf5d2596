"""Field paths of one module as bulk read understands them: ``Name``, ``id``, ``Lookup.Field``.

Both the ``fields`` list and criteria may use dotted paths through a lookup (or the
owner) to the parent record; resolving them in one place keeps the exported column,
the criteria type and the record value consistent.
"""

from __future__ import annotations

from typing import Any

from zoho_emulator.crm.criteria import FieldRef
from zoho_emulator.crm.field_specs import FieldSpec, Record
from zoho_emulator.crm.replies import CrmErrorReply
from zoho_emulator.dataset import Dataset

USER_ATTRIBUTES = ("id", "first_name", "last_name", "full_name", "email")


class FieldPaths:
    """Resolves paths of ``product``/``module`` against the dataset."""

    def __init__(self, dataset: Dataset, product: str, module: str) -> None:
        self.dataset = dataset
        self.product = product
        self.module = module

    def _spec(self, module: str, name: str) -> FieldSpec | None:
        return self.dataset.field_spec(self.product, module, name)

    def _split(self, path: str) -> tuple[FieldSpec, str] | None:
        base, _, sub = path.partition(".")
        spec = self._spec(self.module, base)
        if spec is None or not sub or "." in sub:
            return None
        if spec.data_type == "ownerlookup" and sub in USER_ATTRIBUTES:
            return spec, sub
        if spec.data_type == "lookup" and spec.lookup and self._spec(spec.lookup, sub):
            return spec, sub
        return None

    def ref(self, path: str) -> FieldRef | None:
        """Type information for criteria, or None when the path does not exist."""
        if path == "id":
            return FieldRef("id", "id")
        if "." not in path:
            spec = self._spec(self.module, path)
            return FieldRef(path, spec.data_type, spec.formula_type) if spec else None
        split = self._split(path)
        if split is None:
            return None
        base, sub = split
        if base.data_type == "ownerlookup":
            return FieldRef(path, "id" if sub == "id" else "text")
        target = self._spec(base.lookup or "", sub)
        return FieldRef(path, target.data_type, target.formula_type) if target else None

    def check_export(self, path: str) -> None:
        """Raise Zoho's error when ``path`` cannot be a column of the result file."""
        ref = self.ref(path)
        if ref is None:
            raise CrmErrorReply("FIELD_NOT_AVAILABLE", {"api_name": path})
        if ref.data_type in ("fileupload", "multiselectlookup"):
            raise CrmErrorReply("FIELD_NOT_SUPPORTED", {"api_name": path})

    def exportable(self) -> list[str]:
        """Columns exported when the request names no fields (metadata order)."""
        specs = self.dataset.module_spec(self.product, self.module).fields
        return [spec.api_name for spec in specs if spec.bulk_readable]

    def value(self, record: Record, path: str) -> Any:
        """The canonical value at ``path`` (call inside ``dataset.locked()``)."""
        if "." not in path:
            return record.get(path)
        split = self._split(path)
        if split is None:
            return None
        base, sub = split
        parent_id = record.get(base.api_name)
        if parent_id is None:
            return None
        if base.data_type == "ownerlookup":
            user = self.dataset.user(self.product, parent_id)
            return user.get(sub) if user else None
        parent = self.dataset.raw_record(self.product, base.lookup or "", parent_id)
        return parent.get(sub) if parent else None
