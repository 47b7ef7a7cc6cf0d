"""Move the publication facts recorded on catalogue versions into the per-authority register.

Until now every province shared the national catalogue's facts, so each province (and, for
ministry-level procedures, each ministry) is given one decision per distinct (decision day, effective
day) carrying those facts: every province's scores come out as before, and each province can then
correct its own register.
"""

from collections import defaultdict

from django.db import migrations


def copy_facts(apps, schema_editor):
    Unit = apps.get_model("organisation", "Unit")
    ProcedureVersion = apps.get_model("catalogue", "ProcedureVersion")
    PublicationDecision = apps.get_model("catalogue", "PublicationDecision")
    PublishedProcedure = apps.get_model("catalogue", "PublishedProcedure")

    groups = defaultdict(dict)  # (is_ministry, decided, effective) -> procedure_id -> newest version
    for version in ProcedureVersion.objects.filter(decision_date__isnull=False).order_by("valid_from"):
        key = (version.level == "ministry", version.decision_date, version.effective_date or version.valid_from)
        groups[key][version.procedure_id] = version
    if not groups:
        return
    authorities = list(Unit.objects.filter(parent__isnull=True, kind__in=["province", "ministry"]))
    for (is_ministry, decided, effective), versions in sorted(groups.items()):
        for authority in authorities:
            if (authority.kind == "ministry") != is_ministry:
                continue
            decision = PublicationDecision.objects.create(
                authority=authority,
                number=f"catalogue-{decided.isoformat()}-{effective.isoformat()}",
                decided_on=decided,
                effective_on=effective,
            )
            PublishedProcedure.objects.bulk_create(
                PublishedProcedure(
                    decision=decision,
                    procedure_id=procedure_id,
                    disclosed_on=version.disclosure_date,
                    published_parts=version.published_parts or [],
                )
                for procedure_id, version in versions.items()
            )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_publication_register")]

    operations = [migrations.RunPython(copy_facts, migrations.RunPython.noop)]
