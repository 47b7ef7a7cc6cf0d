"""Input serializers validate requests; output serializers shape responses. No business rules here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.api.dates import InstantField
from apps.core.api.fields import HISTORY_FIELDS, ActorField, CodeField
from apps.core.errors import ErrorCode
from apps.dossiers.models import Dossier
from apps.dossiers.permissions import visible_dossiers
from apps.organisation.models import Unit
from apps.petitions.models import Petition, PetitionChannel, PetitionEvent, PetitionRating
from apps.petitions.permissions import visible_petitions
from apps.petitions.status import PetitionStatus


def dossier_field(**kwargs: Any) -> CodeField:
    return CodeField(
        queryset=Dossier.objects.none(), unknown_code=ErrorCode.UNKNOWN_DOSSIER, noun="dossier", **kwargs
    )


class ScopedInput(serializers.Serializer):
    """Dossiers and petitions referred to by code must be visible to the user: others are unknown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.context.get("user")
        if user is None:  # schema generation: nothing is looked up
            return
        if "dossier" in self.fields:
            self.fields["dossier"].queryset = visible_dossiers(user)
        if "repeat_of" in self.fields:
            self.fields["repeat_of"].queryset = visible_petitions(user)


# ---- input -------------------------------------------------------------------------------------


class PetitionCreateIn(ScopedInput):
    unit = CodeField(
        queryset=Unit.objects.all(),
        unknown_code=ErrorCode.UNKNOWN_UNIT,
        noun="unit",
        help_text="The unit whose authority the petition falls under.",
    )
    subject = serializers.CharField(max_length=500)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=PetitionChannel.choices, default=PetitionChannel.PORTAL)
    petitioner_name = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    received_at = InstantField(required=False, help_text="Default now; never in the future.")
    code = serializers.CharField(required=False, max_length=64, help_text="Generated when absent.")
    dossier = dossier_field(required=False, help_text="Receipt code of the dossier it is about.")
    is_repeat = serializers.BooleanField(
        default=False, help_text="A repeated petition about a matter already petitioned."
    )
    repeat_of = CodeField(
        queryset=Petition.objects.none(),
        unknown_code=ErrorCode.UNKNOWN_PETITION,
        noun="petition",
        required=False,
        help_text="Code of the earlier petition it repeats (implies is_repeat).",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PetitionActionIn(serializers.Serializer):
    at = InstantField(required=False, help_text="When it happened; default now.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PetitionAnswerIn(PetitionActionIn):
    answer = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The text sent to the petitioner."
    )


class PetitionRatingIn(PetitionActionIn):
    rating = serializers.ChoiceField(choices=[c for c in PetitionRating.choices if c[0]])


class PetitionLinkDossierIn(ScopedInput, PetitionActionIn):
    dossier = dossier_field(allow_null=True, help_text="Receipt code of the dossier; null unlinks.")


# ---- output ------------------------------------------------------------------------------------


# Status and channel go out as plain strings: their field names are shared with dossiers' different
# choice sets, and OpenAPI enum components are named by field name (the inputs keep their enums).
_STATUSES = ", ".join(PetitionStatus.values)


class PetitionEventOut(serializers.ModelSerializer):
    actor = ActorField()
    from_status = serializers.CharField(read_only=True, help_text=f"Empty or one of: {_STATUSES}.")
    to_status = serializers.CharField(read_only=True, help_text=f"Empty or one of: {_STATUSES}.")

    class Meta:
        model = PetitionEvent
        fields = HISTORY_FIELDS


class PetitionOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    dossier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    repeat_of = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True, help_text=f"One of: {_STATUSES}.")
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    channel = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(PetitionChannel.values)}.")
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)
    timeliness_name = serializers.CharField(
        source="get_timeliness_display", read_only=True, help_text="Empty until the petition is answered."
    )

    class Meta:
        model = Petition
        fields = [
            "code",
            "unit",
            "dossier",
            "channel",
            "channel_name",
            "petitioner_name",
            "subject",
            "status",
            "status_name",
            "received_at",
            "reject_due_at",
            "info_due_at",
            "reply_due_at",
            "is_repeat",
            "repeat_of",
            "answered_with",
            "ended_at",
            "timeliness",
            "timeliness_name",
            "rating",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PetitionDetailOut(PetitionOut):
    events = PetitionEventOut(many=True, read_only=True)

    class Meta(PetitionOut.Meta):
        fields = [
            *PetitionOut.Meta.fields,
            "content",
            "answer",
            "started_at",
            "info_requested_at",
            "info_received_at",
            "rejected_at",
            "resolved_at",
            "rated_at",
            "events",
        ]
        read_only_fields = fields
