"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from apps.accounts.models import Role, User
from apps.catalogue.models import (
    Field,
    OnlineOffering,
    Procedure,
    ProcedureVersion,
    PublicationDecision,
    PublishedProcedure,
    TimeUnit,
)
from apps.organisation.models import Unit, UnitKind
from apps.organisation.services import save_unit


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Unit {o.code}")
    kind = UnitKind.PROVINCE
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return save_unit(model_class(*args, **kwargs))


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("code",)

    code = "LAND"
    name = "Land"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"1.{n:06d}")


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureVersion

    procedure = factory.SubFactory(ProcedureFactory)
    valid_from = dt.date(2024, 1, 1)
    valid_to = None
    name = factory.LazyAttribute(lambda o: f"Procedure {o.procedure.code}")
    field = factory.SubFactory(FieldFactory)
    level = "commune"
    time_limit = Decimal(3)
    time_unit = TimeUnit.WORKING_DAYS
    fee = Decimal(50000)


class OnlineOfferingFactory(factory.django.DjangoModelFactory):
    """A unit offering a procedure online (the catalogue version must allow it)."""

    class Meta:
        model = OnlineOffering

    unit = factory.SubFactory(UnitFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    level = "partial"
    valid_from = dt.date(2024, 1, 1)
    valid_to = None


class PublicationDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicationDecision

    authority = factory.SubFactory(UnitFactory)
    number = factory.Sequence(lambda n: f"{n}/QĐ-UBND")
    decided_on = dt.date(2026, 3, 2)
    effective_on = dt.date(2026, 3, 16)


class PublishedProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublishedProcedure

    decision = factory.SubFactory(PublicationDecisionFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    disclosed_on = None
    published_parts = factory.LazyFunction(list)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CLERK
    password = factory.django.Password("pass-123456")
