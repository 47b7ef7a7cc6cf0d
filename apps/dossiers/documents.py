"""The documents a dossier was received with: which components they are, what is missing, what they imply.

Pure rules over plain values, shared by the receipt, the later recording of documents and the slip:

- a document is one of the procedure version's components (by its position in the official list) or
  another document the applicant handed in (then it needs a name);
- each component is received at most once; its form and quantity default to the catalogue's;
- a mandatory component may be missing only when the clerk writes down why;
- the digitization facts of the index follow from the records: the inputs are digitized when every
  document received is, and data was reused when any document was taken from digitized data; so an
  explicit value of those two flags may not contradict the records;
- documents are recorded when a dossier is received, not when an online submission is registered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.catalogue.models import ComponentForm, ProcedureComponent
from apps.dossiers.flags import Flag

#: The index flags the document records decide (an explicit action on them is refused once recorded).
DERIVED_FLAGS = (Flag.INPUTS_DIGITIZED.value, Flag.DATA_REUSED.value)


@dataclass(frozen=True)
class DocumentIn:
    component: int | None = None  # position of the component in the version's list
    name: str = ""
    form: str = ""
    quantity: int | None = None
    digitized: bool = False
    reused: bool = False


@dataclass(frozen=True)
class DocumentRow:
    """What is stored for one document (the service turns it into a ``DossierDocument``)."""

    position: int
    component: ProcedureComponent | None
    name: str
    form: str
    quantity: int
    digitized: bool
    reused: bool

    def as_dict(self) -> dict:
        return {
            "position": self.position,
            "component": self.component.position if self.component else None,
            "name": self.name,
            "form": self.form,
            "quantity": self.quantity,
            "digitized": self.digitized,
            "reused": self.reused,
        }


class DocumentProblem(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def resolve(components: Sequence[ProcedureComponent], items: Sequence[DocumentIn]) -> list[DocumentRow]:
    """The rows to store, in the order given; raises :class:`DocumentProblem` naming the item at fault."""
    by_position = {c.position: c for c in components}
    seen: set[int] = set()
    rows = []
    for index, item in enumerate(items):
        field = f"documents.{index}"
        component = None
        if item.component is not None:
            component = by_position.get(item.component)
            if component is None:
                raise DocumentProblem(
                    f"{field}.component",
                    "unknown_component",
                    _("The procedure version has no component %(position)s.") % {"position": item.component},
                )
            if item.component in seen:
                raise DocumentProblem(f"{field}.component", "duplicate", _("Listed twice."))
            seen.add(item.component)
        elif not item.name.strip():
            raise DocumentProblem(
                f"{field}.name", "required", _("Give the component's position or the document's name.")
            )
        form = item.form or (component.form if component else ComponentForm.ORIGINAL)
        rows.append(
            DocumentRow(
                position=index + 1,
                component=component,
                name=item.name.strip() or component.name,
                form=form,
                quantity=item.quantity or (component.quantity if component else 1),
                digitized=item.digitized,
                reused=item.reused,
            )
        )
    return rows


def missing_mandatory(components: Sequence[ProcedureComponent], rows: Sequence[DocumentRow]) -> list[int]:
    """Positions of mandatory components no row is."""
    received = {row.component.position for row in rows if row.component is not None}
    return [c.position for c in components if c.mandatory and c.position not in received]


def check_complete(
    components: Sequence[ProcedureComponent], rows: Sequence[DocumentRow], reason: str
) -> None:
    """Intake refuses a dossier without a mandatory document unless the clerk recorded why."""
    missing = missing_mandatory(components, rows)
    if missing and not reason.strip():
        names = "; ".join(f"{c.position}. {c.name}" for c in components if c.position in missing)
        raise DocumentProblem(
            "documents",
            "missing_mandatory_documents",
            _(
                "Mandatory documents missing: %(names)s. Receive them, or record why in missing_documents_reason."
            )
            % {"names": names},
        )


def digitization_facts(rows: Sequence[DocumentRow]) -> tuple[bool, bool]:
    """(inputs digitized, data reused) as the index reads them from the documents received."""
    return bool(rows) and all(row.digitized for row in rows), any(row.reused for row in rows)


def derived_flags(rows: Sequence[DocumentRow]) -> dict[str, bool]:
    """:func:`digitization_facts` by flag name, as the dossier's columns hold them."""
    digitized, reused = digitization_facts(rows)
    return {Flag.INPUTS_DIGITIZED.value: digitized, Flag.DATA_REUSED.value: reused}


def check_flags(explicit: Mapping[str, bool], rows: Sequence[DocumentRow]) -> None:
    """A sender that gives documents and a digitization flag too must not say two different things."""
    for flag, value in derived_flags(rows).items():
        if flag in explicit and explicit[flag] != value:
            raise DocumentProblem(
                flag,
                "flag_from_documents",
                _(
                    "%(flag)s follows from the documents received (%(value)s here): leave it out, or correct the documents."
                )
                % {"flag": flag, "value": "true" if value else "false"},
            )


def recorded_flag_problem(flag: str) -> DocumentProblem:
    """An explicit change of a derived flag on a dossier whose documents are recorded."""
    return DocumentProblem(
        "flag",
        "flag_from_documents",
        _("This dossier's documents are recorded: %(flag)s follows from them. Record the documents again.")
        % {"flag": flag},
    )


def registration_problem() -> DocumentProblem:
    """Documents are received with the dossier (status 2); an online registration (1) carries none."""
    return DocumentProblem(
        "documents",
        "validation_error",
        _("Documents are recorded when the dossier is received (status 2), not at registration."),
    )
