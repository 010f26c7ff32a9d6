"""Vote rounds, pots, ballots, participation records, paper batches and frozen results.

Secrecy: a Ballot has no link to the voter (no foreign key to a user or membership, no creation
time, a random UUID key instead of a sequence). The Participation record says who voted in which
pot, and when. See docs/voting.md for how a voter's ballot is found again (receipt codes).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from communities.models import AgeBand, Connection, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from outbox.jobs import BackgroundJob


def pounds_display(pence: int) -> str:
    """£12,400 or £12,400.50: pounds only at the edges (templates)."""
    whole, part = divmod(int(pence), 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")


class BallotMethod(models.TextChoices):
    K_APPROVAL = "k_approval", "Choose up to a number of proposals"
    KNAPSACK = "knapsack", "Choose proposals within the pot's budget"
    CUMULATIVE = "cumulative", "Share out points between proposals"
    RANKING = "ranking", "Rank up to a number of proposals"


class CountingRule(models.TextChoices):
    GREEDY = "greedy", "Greedy by votes (most votes first, fund what fits)"
    MES_ADD1 = "mes_add1", "Method of Equal Shares (Add1), no completion"
    MES_ADD1_GREEDY = "mes_add1_greedy", "Method of Equal Shares (Add1), completed greedily"
    PHRAGMEN = "phragmen", "Sequential Phragmen (approval ballots)"


# Rules that need approval-style ballots (a set of chosen proposals).
APPROVAL_ONLY_RULES = (CountingRule.MES_ADD1, CountingRule.MES_ADD1_GREEDY, CountingRule.PHRAGMEN)
APPROVAL_METHODS = (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK)


class Channel(models.TextChoices):
    ONLINE = "online", "Online"
    PAPER = "paper", "Paper"
    CARD = "card", "Polling card"
    KIOSK = "kiosk", "Kiosk"
    IMPORTED = "imported", "Imported from a Pabulib file"


class VoteRoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Drafts are seen by the neighbourhood's trustees only; every other round is public."""
        public = ~Q(status=VoteRound.Status.DRAFT)
        if not getattr(user, "is_authenticated", False):
            return self.filter(public)
        trustee_of = RoleAssignment.objects.current().filter(user=user, role__in=TRUSTEE_ROLES)
        return self.filter(public | Q(neighbourhood__in=trustee_of.values("neighbourhood")))


class VoteRound(models.Model):
    """A vote of a neighbourhood's residents on the shortlisted proposals of one or more pots."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published (not open yet)"
        OPEN = "open", "Open for voting"
        CLOSED = "closed", "Closed (waiting for the count)"
        COUNTED = "counted", "Counted (waiting for certification)"
        CERTIFIED = "certified", "Certified"
        RESULTS_PUBLISHED = "results_published", "Results published"
        ANNULLED = "annulled", "Annulled"

    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.PROTECT, related_name="vote_rounds"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=18, choices=Status.choices, default=Status.DRAFT)
    ballot_method = models.CharField(
        max_length=12, choices=BallotMethod.choices, default=BallotMethod.KNAPSACK
    )
    max_choices = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="k for k-approval and ranking ballots"
    )
    points_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Points each voter shares out (cumulative ballots)"
    )
    min_spend_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Knapsack ballots: least share of the pot a ballot must spend"
    )
    counting_rule = models.CharField(
        max_length=16, choices=CountingRule.choices, default=CountingRule.GREEDY
    )
    greedy_skip = models.BooleanField(
        default=True,
        help_text="Greedy: skip a proposal that does not fit and go on (off: stop there)",
    )
    score_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Greedy: proposals scoring below this are never funded"
    )
    min_age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    eligible_connections = models.JSONField(default=list)
    channel_online = models.BooleanField(default=True)
    channel_paper = models.BooleanField(default=False)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    allow_change = models.BooleanField(default=True)
    proposer_may_vote_own = models.BooleanField(default=True)
    imported = models.BooleanField(default=False)
    import_meta = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    open_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    certified_at = models.DateTimeField(null=True, blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)
    annulled_at = models.DateTimeField(null=True, blank=True)
    annulment_reason = models.TextField(blank=True)
    # When the pots' ballot digests (Pot.ballots_sha256) were last written: at close, and again
    # at count if paper batches agreed after close changed a pot's ballots.
    ballots_digested_at = models.DateTimeField(null=True, blank=True)

    objects = VoteRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["status", "opens_at"], name="voteround_status_opens_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="voteround_opens_before_close"
            ),
            models.CheckConstraint(
                condition=Q(min_spend_percent__lte=100), name="voteround_min_spend_pct"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def connections_display(self) -> list[str]:
        labels = dict(Connection.choices)
        return [labels.get(c, c) for c in self.eligible_connections]


class Pot(models.Model):
    """An amount of money and the proposals on its ballot paper."""

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="pots")
    name = models.CharField(max_length=120)
    amount_pence = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    # SHA-256 over the pot's sorted canonical ballots (voting/counting/digest.py), written at
    # close and at count: anyone can recompute it from the published .pb file.
    ballots_sha256 = models.CharField(max_length=64, blank=True)
    ballots_digested = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many ballots the digest covers"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gte=0), name="pot_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.round})"

    @property
    def amount_display(self) -> str:
        return pounds_display(self.amount_pence)


class PotItem(models.Model):
    """A proposal on a pot's ballot paper; `number` is what paper ballots and keyers use."""

    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="items")
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.PROTECT, related_name="pot_items"
    )
    number = models.PositiveSmallIntegerField()
    cost_pence = models.PositiveBigIntegerField(help_text="Frozen at publication")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["pot", "proposal"], name="potitem_once_per_pot"),
            models.UniqueConstraint(fields=["pot", "number"], name="potitem_number_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.proposal}"

    @property
    def cost_display(self) -> str:
        return pounds_display(self.cost_pence)


class Participation(models.Model):
    """Who has voted in a pot, by which channel and when: one row per voter and pot.

    A member is identified by membership; an in-person paper voter who is not on the register by a
    normalised name-and-address key. Either way the database refuses a second row.
    """

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="participations")
    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="participations")
    membership = models.ForeignKey(
        "communities.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vote_participations",
    )
    # In-person voters not on the register: HMAC (receipt key) of the normalised name, house and
    # postcode (communities.identity), plus partial keys that flag near matches to a trustee.
    in_person_key = models.CharField(max_length=64, blank=True)
    in_person_surname_key = models.CharField(max_length=64, blank=True)
    in_person_house_key = models.CharField(max_length=64, blank=True)
    in_person_name = models.CharField(max_length=200, blank=True)
    in_person_address = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    # sha256(salt || receipt code): proves a returning voter holds their own receipt code,
    # without storing anything that leads to the ballot.
    receipt_salt = models.CharField(max_length=32, blank=True)
    receipt_check = models.CharField(max_length=64, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    # Who marked a paper voter at the desk (always set for paper: the database refuses none).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["voted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pot", "membership"],
                condition=Q(membership__isnull=False),
                name="participation_one_per_member_pot",
            ),
            models.UniqueConstraint(
                fields=["pot", "in_person_key"],
                condition=~Q(in_person_key=""),
                name="participation_one_per_inperson_pot",
            ),
            models.CheckConstraint(
                condition=Q(membership__isnull=False) | ~Q(in_person_key=""),
                name="participation_has_voter",
            ),
            models.CheckConstraint(
                condition=~Q(channel="paper") | Q(recorded_by__isnull=False),
                name="participation_paper_marked_by",
            ),
        ]
        indexes = [
            # The paper desk's tally counts paper voters per pot from the index alone.
            models.Index(fields=["round", "channel", "pot"], name="participation_channel_idx"),
            models.Index(
                fields=["round", "in_person_surname_key"], name="participation_surname_idx"
            ),
            models.Index(fields=["round", "in_person_house_key"], name="participation_house_idx"),
        ]

    def __str__(self) -> str:
        return f"Participation in {self.pot_id} ({self.channel})"


class Ballot(models.Model):
    """One secret ballot: choices only. No voter, no time; the key is random, not a sequence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="ballots")
    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="ballots")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # approval: [proposal ids]; cumulative: {proposal id: points}; ranking: [ids, best first]
    choices = models.JSONField()
    # HMAC(receipt key, receipt code): the receipt lookup and a ballot change find it by this.
    receipt_hash = models.CharField(max_length=64, blank=True)
    paper_batch = models.ForeignKey(
        "PaperBatch", null=True, blank=True, on_delete=models.CASCADE, related_name="ballots"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_hash"], condition=~Q(receipt_hash=""), name="ballot_receipt_uniq"
            )
        ]
        indexes = [
            # The paper desk's tally counts paper ballots per pot from the index alone.
            models.Index(fields=["round", "channel", "pot"], name="ballot_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"Ballot in {self.pot_id}"


class Volunteer(models.Model):
    """Someone appointed by a trustee to key in paper ballots for one round."""

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="volunteers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vote_volunteering"
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appointed_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="volunteer_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.user} volunteers in {self.round}"


class PaperBatch(models.Model):
    """A bundle of paper ballots from one event, keyed twice by two different people."""

    class Status(models.TextChoices):
        AWAITING_FIRST = "awaiting_first", "Waiting for the first entry"
        AWAITING_SECOND = "awaiting_second", "Waiting for the second entry"
        MISMATCH = "mismatch", "Entries differ"
        AGREED = "agreed", "Both entries agree: counted"

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="paper_batches")
    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="paper_batches")
    event = models.CharField(max_length=200)
    declared_count = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_FIRST)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.event} ({self.declared_count} ballots)"


class PaperEntry(models.Model):
    """One person's keying of a whole batch: `ballots` is a list, one item per paper ballot
    (same shape as Ballot.choices, or null for a spoilt paper).

    Stack order matters only until both entries agree; then `ballots` is stored sorted and
    `raw_text` is emptied, so the order papers were marked in cannot be lined up with them.
    """

    batch = models.ForeignKey(PaperBatch, on_delete=models.CASCADE, related_name="entries")
    pass_no = models.PositiveSmallIntegerField()
    keyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ballots = models.JSONField()
    raw_text = models.TextField(blank=True)
    keyed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pass_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "pass_no"], name="paperentry_pass_uniq"),
            models.UniqueConstraint(fields=["batch", "keyed_by"], name="paperentry_two_people"),
            models.CheckConstraint(condition=Q(pass_no__in=[1, 2]), name="paperentry_pass_1_2"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.pass_no} of {self.batch}"


class Certification(models.Model):
    """A trustee's signature on a counted round; two different trustees certify it."""

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="certifications")
    trustee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["certified_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "trustee"], name="certification_once_each")
        ]

    def __str__(self) -> str:
        return f"{self.trustee} certified {self.round}"


class PotResult(models.Model):
    """The count of one pot. Frozen (never rewritten) once the round is certified."""

    pot = models.OneToOneField(Pot, on_delete=models.CASCADE, related_name="result")
    rule = models.CharField(max_length=40)
    rule_options = models.JSONField(default=dict)
    winners = models.JSONField(help_text="Proposal ids funded")
    scores = models.JSONField(help_text="proposal id -> exact score as text")
    total_cost_pence = models.PositiveBigIntegerField()
    ballots_counted = models.PositiveIntegerField()
    turnout = models.JSONField(default=dict)
    explanation = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pot"]

    def __str__(self) -> str:
        return f"Result of {self.pot}"


class CountJob(BackgroundJob):
    """A trustee's request to count a closed round, run by a worker: `done` of `total` pots.

    At most one is waiting or running per round (a second press, or a second trustee, finds
    it). The worker writes every pot's result and the round's "counted" in one transaction,
    guarded by this row, so a re-run after a crash leaves one result set.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Counting"
        DONE = "done", "Counted"
        FAILED = "failed", "Failed"

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="count_jobs")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(state__in=["queued", "running"]),
                name="count_job_one_active_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"Count of round {self.round_id} ({self.state})"


class AnnulmentRequest(models.Model):
    """A trustee's request to annul a certified round. A second, different trustee confirms
    it (then the round is annulled) or any trustee withdraws it; one open request per round."""

    round = models.ForeignKey(
        VoteRound, on_delete=models.CASCADE, related_name="annulment_requests"
    )
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(confirmed_at__isnull=True, withdrawn_at__isnull=True),
                name="annulment_one_open_request",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("requested_by")),
                name="annulment_two_trustees",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="annulment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Request to annul {self.round}"


class PollingCardBatch(models.Model):
    """A run of numbered polling cards a trustee issued for one round (printed letters or cards)."""

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="card_batches")
    label = models.CharField(max_length=120)
    first_number = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    # The trustee who issued the batch; empty for a code a member asked for by text.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label


class PollingCard(models.Model):
    """One numbered card: a one-time voting code, good for one ballot in each pot of its round.

    Only a keyed hash of the code is kept (HMAC with the receipt key), so the database alone
    cannot be used to vote. Nothing here points to a ballot or a participation, and nothing
    there points here: the card, like an account, is unlinkable to the ballot.

    A code a member asked for by text (voting.services.card_texts) is a card bound to that
    member (`issued_to`): its redemption counts as the member's own participation. Until its
    text is sent, and once a newer code replaced it, its `code_hash` is a random placeholder
    that no code hashes to.
    """

    batch = models.ForeignKey(PollingCardBatch, on_delete=models.CASCADE, related_name="cards")
    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="polling_cards")
    number = models.PositiveIntegerField()
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by_text = models.BooleanField(default=False)
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)  # a text card's code was texted
    voided_at = models.DateTimeField(null=True, blank=True)  # replaced by a newer text code

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="pollingcard_number_uniq"),
            models.CheckConstraint(
                condition=Q(issued_by_text=True) | Q(issued_to__isnull=True),
                name="pollingcard_bound_only_by_text",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "issued_to"], name="pollingcard_issued_to_idx"),
        ]

    def __str__(self) -> str:
        return f"Card {self.number} of {self.round}"


class Kiosk(models.Model):
    """A shared device (library, community centre) where residents vote one after another.

    The device holds a kiosk cookie whose token only the device knows (we keep its hash). A
    trustee opens it for a round and a time window and may close it from any device.
    """

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="kiosks")
    label = models.CharField(max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="kiosk_opens_before_close"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class VoterVisit(models.Model):
    """Server-side state of one voter going through the card or kiosk pages.

    Keyed by the hash of a per-voter nonce that travels in the pages' forms (never a cookie);
    dropped when the ballot is cast, when the voter presses "Finish", or when idle too long.
    """

    nonce_hash = models.CharField(max_length=64, unique=True)
    kiosk = models.ForeignKey(
        Kiosk, null=True, blank=True, on_delete=models.CASCADE, related_name="visits"
    )
    data = models.JSONField(default=dict)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["last_seen_at"], name="votervisit_seen_idx")]

    def __str__(self) -> str:
        return f"Voter visit {self.pk}"
