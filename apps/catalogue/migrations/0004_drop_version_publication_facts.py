"""The publication facts now live in the register (0003 copied them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_copy_publication_facts")]

    operations = [
        migrations.RemoveField(
            model_name='procedureversion',
            name='decision_date',
        ),
        migrations.RemoveField(
            model_name='procedureversion',
            name='disclosure_date',
        ),
        migrations.RemoveField(
            model_name='procedureversion',
            name='effective_date',
        ),
        migrations.RemoveField(
            model_name='procedureversion',
            name='published_parts',
        ),
    ]
