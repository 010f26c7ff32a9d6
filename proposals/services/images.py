"""Photos: the header checked in the request (no pixel decoded), stored privately, then
decoded and re-encoded by a Celery task.

Files go through storages only (the original in private storage, display sizes in the public
default storage), never local paths, so whichever worker picks the task up can read the
original the web process wrote.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError
from config.storage import private_storage
from outbox.services import outbox_enqueue

from .. import permissions as perms
from ..imaging import ImageRejected, inspect_image, read_upload, reencode
from ..models import Milestone, Proposal, ProposalImage
from ._common import clean, lock, role_of

MAX_PROPOSAL_IMAGES = 5
MAX_MILESTONE_PHOTOS = 3


def _delete(*, original: str = "", displays: list[str] | tuple[str, ...] = ()) -> None:
    """Remove files after commit: the original from private storage, display sizes from
    public storage (the storage API, so it works on disk and in a bucket alike)."""
    if original:
        private_storage().delete(original)
    for name in displays:
        default_storage.delete(name)


def _store_image(*, proposal: Proposal, actor, file, alt_text: str, milestone=None):
    """Check, then store the original and the row. Caller holds the proposal lock."""
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise ApplicationError("Describe the photo for people who cannot see it (alt text).")
    try:
        data = read_upload(file, size=getattr(file, "size", None))
        info = inspect_image(data)
    except ImageRejected as exc:
        raise ApplicationError(str(exc)) from exc
    image = ProposalImage(
        proposal=proposal,
        milestone=milestone,
        uploaded_by=actor,
        alt_text=alt_text,
        width=info.width,
        height=info.height,
        position=proposal.images.filter(milestone=milestone).count(),
    )
    clean(image, exclude=["original", "display_320", "display_1024"])
    # A random name that says nothing; the original is never linked and is deleted once
    # the display sizes exist. The file is written only after commit, so a rolled-back
    # upload leaves nothing behind.
    image.original.name = f"proposals/incoming/{uuid.uuid4().hex}.upload"
    image.save()
    from ..tasks import proposal_image_process_task

    def _write() -> None:
        stored = private_storage().save(image.original.name, ContentFile(data))
        if stored != image.original.name:
            ProposalImage.objects.filter(pk=image.pk).update(original=stored)

    transaction.on_commit(_write)  # runs before the outbox hands the processing over
    outbox_enqueue(proposal_image_process_task, image.pk)
    return image


@transaction.atomic
def proposal_image_add(*, proposal: Proposal, actor, file, alt_text: str) -> ProposalImage:
    """The proposer adds a photo to a draft: at most five, alt text required."""
    proposal = lock(proposal)
    if not perms.can_edit_proposal(actor, proposal):
        raise ForbiddenError("Only the proposer can add photos, while it is a draft.")
    if proposal.images.filter(milestone__isnull=True).count() >= MAX_PROPOSAL_IMAGES:
        raise ApplicationError(f"A proposal can have at most {MAX_PROPOSAL_IMAGES} photos.")
    image = _store_image(proposal=proposal, actor=actor, file=file, alt_text=alt_text)
    audit_record(
        action="proposals.image_added",
        actor=actor,
        actor_role="proposer",
        obj=image,
        changes={"proposal_id": proposal.pk, "alt_text": image.alt_text},
    )
    return image


def milestone_photo_add(
    *, milestone: Milestone, proposal: Proposal, actor, file, alt_text: str
) -> ProposalImage:
    """Used by milestone_add inside its transaction (the proposal is already locked)."""
    if milestone.photos.count() >= MAX_MILESTONE_PHOTOS:
        raise ApplicationError(f"A milestone can have at most {MAX_MILESTONE_PHOTOS} photos.")
    return _store_image(
        proposal=proposal, actor=actor, file=file, alt_text=alt_text, milestone=milestone
    )


@transaction.atomic
def proposal_image_remove(*, image: ProposalImage, actor) -> None:
    """The proposer removes a photo from a draft."""
    proposal = lock(image.proposal)
    if not perms.can_edit_proposal(actor, proposal) or image.milestone_id:
        raise ForbiddenError("Only the proposer can remove photos, while it is a draft.")
    original = image.original.name
    files = [f.name for f in (image.display_320, image.display_1024) if f]
    audit_record(
        action="proposals.image_removed",
        actor=actor,
        actor_role=role_of(actor, proposal),
        obj=image,
        changes={"proposal_id": proposal.pk},
    )
    image.delete()
    transaction.on_commit(lambda: _delete(original=original, displays=files))


@transaction.atomic
def proposal_image_process(*, image_id: int) -> ProposalImage | None:
    """Re-encode the original into display sizes (metadata-free), then delete it.

    Idempotent: an image that is not pending is left alone.
    """
    image = ProposalImage.objects.select_for_update().filter(pk=image_id).first()
    if image is None or image.status != ProposalImage.Status.PENDING:
        return image
    original = image.original.name
    try:
        with private_storage().open(original, "rb") as fh:
            versions = reencode(fh.read())
    except Exception as exc:  # a file that passed the checks but still will not decode
        image.status = ProposalImage.Status.FAILED
        image.error = "This photo could not be processed."
        image.original = ""
        image.save(update_fields=["status", "error", "original"])
        audit_record(
            action="proposals.image_failed",
            obj=image,
            actor_role="system",
            changes={"error": type(exc).__name__},
        )
        transaction.on_commit(lambda: _delete(original=original))
        return image
    stem = uuid.uuid4().hex
    for width, (data, _w, _h) in versions.items():
        field = getattr(image, f"display_{width}")
        field.save(f"{stem}-{width}.jpg", ContentFile(data), save=False)
    image.status = ProposalImage.Status.READY
    image.original = ""
    image.save(update_fields=["status", "original", "display_320", "display_1024"])
    audit_record(action="proposals.image_processed", obj=image, actor_role="system")
    transaction.on_commit(lambda: _delete(original=original))
    return image
