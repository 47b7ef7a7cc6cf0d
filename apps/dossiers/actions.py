"""What a user may do next with a dossier: the status table crossed with who may act, in one place.

The API answers each action on its own (``409 illegal_transition`` from :func:`apps.dossiers.status.check_transition`,
403 from :func:`apps.dossiers.permissions.can_act_on`, 403 ``unit_out_of_scope`` from
:func:`apps.accounts.routing.check_route`); a page must offer only the actions that would pass, so it
asks :func:`allowed_actions` and :func:`transfer_targets`, which read those same rules. Each action names
the service the API's endpoint of the same name calls, and the inputs that endpoint takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.routing import may_route, top_path
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.dossiers.permissions import can_act_on
from apps.dossiers.status import NOT_COUNTED, TRANSFERABLE, Status, can_transition
from apps.organisation.models import Unit


@dataclass(frozen=True)
class Action:
    """One thing a user can do to a dossier, named as the API's endpoint (``/dossiers/{code}/<code>/``).

    ``target``: the status it leads to (``None``: not a status change); ``only_from``: statuses it is
    limited to beyond the transition table (the service's own rule, e.g. completing a supplement);
    ``fields``: the inputs it takes besides the note; ``required``: those that must not be empty.
    """

    code: str
    label: str | Promise
    service: Callable[..., Dossier]
    target: Status | None = None
    only_from: frozenset[Status] | None = None
    not_from: frozenset[Status] = frozenset()
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    #: An end state: the page asks for the reason and marks the button.
    final: bool = False

    def status_allows(self, dossier: Dossier) -> bool:
        """Whether the dossier's status permits this action (the table, then the service's own limits)."""
        current = Status(dossier.status)
        if self.only_from is not None and current not in self.only_from:
            return False
        if current in self.not_from:
            return False
        if self.target is not None:
            return can_transition(current, self.target)
        if self.code == "assign":
            return current in TRANSFERABLE
        return current not in NOT_COUNTED  # a rating needs a received dossier


#: Every action, in the order a page lists them (the usual path first, end states last).
ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action(
            "accept", _("Accept the online submission"), services.accept_registered_dossier, Status.RECEIVED
        ),
        Action(
            "start-processing",
            _("Start processing"),
            services.start_processing,
            Status.PROCESSING,
            # A dossier waiting for a supplement resumes by recording it (the service refuses otherwise).
            not_from=frozenset({Status.SUPPLEMENT_REQUESTED}),
        ),
        Action(
            "complete-supplement",
            _("Record the completed supplement"),
            services.complete_supplement,
            Status.PROCESSING,
            only_from=frozenset({Status.SUPPLEMENT_REQUESTED}),
        ),
        Action(
            "request-supplement",
            _("Request a supplement"),
            services.request_supplement,
            Status.SUPPLEMENT_REQUESTED,
            fields=("reason",),
            required=("reason",),
        ),
        Action(
            "request-payment",
            _("Wait for a fee or tax"),
            services.request_payment,
            Status.FINANCIAL_OBLIGATION,
        ),
        Action("finish", _("Finish: the result is ready"), services.finish, Status.FINISHED),
        Action("return-result", _("Hand the result over"), services.return_result, Status.RESULT_RETURNED),
        Action(
            "assign",
            _("Transfer to another unit"),
            services.assign_handling_unit,
            fields=("handling_unit",),
            required=("handling_unit",),
        ),
        Action(
            "rate",
            _("Record the applicant's rating"),
            services.rate_dossier,
            fields=("rating",),
            required=("rating",),
        ),
        Action(
            "refuse-intake",
            _("Refuse the online submission"),
            services.refuse_at_intake,
            Status.REFUSED_AT_INTAKE,
            required=("note",),
            final=True,
        ),
        Action(
            "withdraw",
            _("The applicant withdrew the dossier"),
            services.withdraw,
            Status.WITHDRAWN,
            final=True,
        ),
        Action(
            "stop",
            _("Stop processing (refused after review)"),
            services.stop,
            Status.STOPPED,
            required=("note",),
            final=True,
        ),
    )
}


def allowed_actions(user: User, dossier: Dossier) -> list[Action]:
    """The actions this user may take on this dossier now, in :data:`ACTIONS` order.

    None unless the user may change the dossier at all (:func:`can_act_on`: supervisors never, clerks on
    what their subtree received, officers on what it handles); then those the status allows. A transfer
    is offered only when some unit may receive it (:func:`transfer_targets`).
    """
    if not can_act_on(user, dossier):
        return []
    allowed = [action for action in ACTIONS.values() if action.status_allows(dossier)]
    if any(action.code == "assign" for action in allowed) and not transfer_targets(user, dossier):
        allowed = [action for action in allowed if action.code != "assign"]
    return allowed


def transfer_targets(user: User, dossier: Dossier, *, within: QuerySet[Unit] | None = None) -> list[Unit]:
    """Active units this user may make the dossier's handling unit (the routing rule), by code.

    Candidates are the receiving unit's province (the rule never leaves it); each one is checked with
    :func:`apps.accounts.routing.may_route`, the function the API's ``assign`` checks with. ``within``
    narrows the candidates (the API's ``transfer-targets`` filters); it never widens them.
    """
    receiving = dossier.receiving_unit
    candidates = (
        (Unit.objects.all() if within is None else within)
        .filter(path__startswith=top_path(receiving), is_active=True)
        .exclude(pk=dossier.handling_unit_id)
        .select_related("parent")
        .order_by("path")
    )
    return [unit for unit in candidates if may_route(user, receiving_unit=receiving, target=unit)]
