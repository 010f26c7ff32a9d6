"""Issue 15: photos still waiting for the worker when the release lands are moved from the
public storage (where the previous release wrote originals) to private storage."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from config.storage import private_storage
from proposals.models import ProposalImage
from tests.proposals.factories import DraftFactory, jpeg_bytes

migration = importlib.import_module("proposals.migrations.0003_h7_private_originals")


def test_pending_originals_move_from_public_to_private_storage(db):
    draft = DraftFactory()
    data = jpeg_bytes(40, 30)
    name = default_storage.save("proposals/incoming/old.upload", ContentFile(data))
    image = ProposalImage.objects.create(
        proposal=draft, uploaded_by=draft.proposer, alt_text="Old", original=name
    )
    migration.move_pending_originals(apps, None)
    image.refresh_from_db()
    assert not default_storage.exists(name)
    with private_storage().open(image.original.name, "rb") as moved:
        assert moved.read() == data
    # running it again changes nothing
    migration.move_pending_originals(apps, None)
    assert private_storage().exists(image.original.name)
