# Photo originals (EXIF, GPS and all) move to private storage (issue 15).

import config.storage
from django.db import migrations, models


def move_pending_originals(apps, schema_editor):
    """Originals still waiting for the worker were written to the public storage by the
    previous release: move them to private storage, so the task finds them there."""
    from django.core.files.storage import default_storage

    ProposalImage = apps.get_model("proposals", "ProposalImage")
    private = config.storage.private_storage()
    pending = ProposalImage.objects.exclude(original="").values_list("pk", "original")
    for pk, name in pending.iterator():
        if not default_storage.exists(name) or private.exists(name):
            continue
        with default_storage.open(name, "rb") as source:
            stored = private.save(name, source)
        if stored != name:
            ProposalImage.objects.filter(pk=pk).update(original=stored)
        default_storage.delete(name)


class Migration(migrations.Migration):

    dependencies = [
        ('proposals', '0002_images_history_engagement_milestones'),
    ]

    operations = [
        migrations.AlterField(
            model_name='proposalimage',
            name='original',
            field=models.FileField(blank=True, storage=config.storage.private_storage, upload_to='proposals/incoming/'),
        ),
        migrations.RunPython(move_pending_originals, migrations.RunPython.noop),
    ]
