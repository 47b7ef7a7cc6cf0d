"""The applicant as the counter records them, free-text notes, and the two correction event kinds.

Existing dossiers keep their applicant name; its folded form (what a name search compares) is filled
from it here, in batches, with the same function the services use.
"""

from django.db import migrations, models


def fill_folded_names(apps, schema_editor):
    from apps.dossiers.applicant import fold

    Dossier = apps.get_model("dossiers", "Dossier")
    rows = Dossier.objects.exclude(applicant_name="").only("id", "applicant_name").order_by("id")
    batch = []
    for dossier in rows.iterator(chunk_size=2000):
        dossier.applicant_name_folded = fold(dossier.applicant_name)
        batch.append(dossier)
        if len(batch) >= 2000:
            Dossier.objects.bulk_update(batch, ["applicant_name_folded"])
            batch = []
    if batch:
        Dossier.objects.bulk_update(batch, ["applicant_name_folded"])


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0004_undispatched_event_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='applicant_commune',
            field=models.CharField(blank=True, db_default='', default='', max_length=128),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_email',
            field=models.CharField(blank=True, db_default='', default='', max_length=254),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_id_number',
            field=models.CharField(blank=True, db_default='', default='', max_length=12),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_kind',
            field=models.CharField(choices=[('person', 'person'), ('organisation', 'organisation')], db_default='person', default='person', max_length=16),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_name_folded',
            field=models.CharField(blank=True, db_default='', default='', help_text='Lower case, no diacritics (đ → d): what a name search compares, by prefix.', max_length=255),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_phone',
            field=models.CharField(blank=True, db_default='', default='', max_length=11),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_province',
            field=models.CharField(blank=True, db_default='', default='', max_length=128),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_street',
            field=models.CharField(blank=True, db_default='', default='', max_length=255),
        ),
        migrations.AddField(
            model_name='dossier',
            name='applicant_tax_code',
            field=models.CharField(blank=True, db_default='', default='', max_length=14),
        ),
        migrations.AddField(
            model_name='dossier',
            name='notes',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AlterField(
            model_name='dossierevent',
            name='kind',
            field=models.CharField(choices=[('registered', 'registered online'), ('received', 'received'), ('status_changed', 'status changed'), ('supplement_requested', 'supplement requested'), ('supplement_completed', 'supplement completed'), ('handling_unit_assigned', 'handling unit assigned'), ('flag_set', 'flag set'), ('rated', 'rated by the applicant'), ('corrected', 'descriptive fields corrected'), ('receipt_corrected', 'receipt facts corrected')], max_length=32),
        ),
        migrations.RunPython(fill_folded_names, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['applicant_name_folded'], name='dossier_applicant_fold_idx', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['code'], name='dossier_code_prefix_idx', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(condition=models.Q(('applicant_id_number', ''), _negated=True), fields=['applicant_id_number'], name='dossier_applicant_id_idx'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(condition=models.Q(('applicant_phone', ''), _negated=True), fields=['applicant_phone'], name='dossier_applicant_phone_idx'),
        ),
    ]
