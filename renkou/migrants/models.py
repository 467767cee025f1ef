"""Models of the migrant application (流动人口): spells, exchange messages, batches, peers.

A :class:`MigrantSpell` is one stretch of a person's life away from the hukou place,
with the three places of Hebei's 2021 rules: 户籍地 (``hukou_code``, a division code that
may lie outside this deployment), 居住地 (``residence_org`` here, or ``residence_code`` /
``residence_address`` elsewhere) and 管理地 (``manager_org``, the office here responsible
for the record). An inflow spell (流入) is someone living here whose hukou is elsewhere,
enrolled in the register as a resident of the residence unit; an outflow spell (流出) is
someone registered here who lives elsewhere and stays in the register. A move between
residences ends one spell and opens the next. For residents the ledger's move events stay
the truth; a spell only says where the person lives while away.

A :class:`Message` is one exchange message between offices (协查, 通报) with the envelope
of :mod:`renkou.migrants.envelope`; a :class:`Batch` carries messages and receipts from
one office to another, signed (:mod:`renkou.migrants.signing`); a :class:`Peer` is a
counterpart office with its public key; :class:`OfficeKey` is this office's key pair.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core.scoping import OrgScopedQuerySet

__all__ = ["Direction", "MoveReason", "EndReason", "MigrantSpell", "MessageType", "Urgency",
           "MessageState", "Box", "MatchStatus", "Message", "Batch", "Peer", "OfficeKey"]


class Direction(models.TextChoices):
    INFLOW = "in", _("inflow")  # 流入: lives here, hukou elsewhere
    OUTFLOW = "out", _("outflow")  # 流出: registered here, lives elsewhere


class MoveReason(models.TextChoices):
    """Reason for moving (流动原因)."""

    WORK = "work", _("work or business")  # 务工经商
    STUDY = "study", _("study or training")  # 学习培训
    FAMILY = "family", _("family (joining relatives, marriage)")  # 随迁家属, 婚嫁, 投亲靠友
    OTHER = "other", _("other")


class EndReason(models.TextChoices):
    """Why a spell ended."""

    MOVED_ON = "moved_on", _("moved to another residence")  # a new spell follows
    RETURNED = "returned", _("returned to the hukou place")
    LEFT = "left", _("left this area")
    DIED = "died", _("died")
    HUKOU_MOVED = "hukou_moved", _("hukou moved to the residence")  # no longer a migrant
    CORRECTED = "corrected", _("recorded in error")


class SpellQuerySet(OrgScopedQuerySet):
    org_path_lookup = "manager_org__path"
    required_capability = ("register_migrants", "exchange_migrants")

    if TYPE_CHECKING:  # for the type checker only: current() chains after visible_to()
        def visible_to(self, user) -> SpellQuerySet: ...

    def current(self) -> SpellQuerySet:
        """Spells not yet ended."""
        return self.filter(end_date=None)


class MigrantSpell(models.Model):
    """One spell of a migrant (流动人口) away from the hukou place (see the module)."""

    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="migrant_spells")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    #: 户籍地: the statistical division code (6 to 12 digits) of the hukou place
    hukou_code = models.CharField(_("hukou place (division code)"), max_length=12)
    hukou_name = models.CharField(_("hukou place"), max_length=100, blank=True)
    #: 居住地 here (inflow spells) ...
    residence_org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("residence unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    #: ... or elsewhere (outflow spells): a division code and/or an address
    residence_code = models.CharField(_("residence (division code)"), max_length=12, blank=True)
    residence_address = models.CharField(_("residence address"), max_length=200, blank=True)
    #: 管理地: the unit here responsible for the record
    manager_org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("managing unit"),
                                    on_delete=models.PROTECT, related_name="+")
    #: inflow: the day of arrival here; outflow: the day of leaving for the residence
    start_date = models.DateField(_("since"))
    #: inflow: the day of leaving here; outflow: the day of coming back or moving on
    end_date = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("ended because"), max_length=12, choices=EndReason.choices,
                                  blank=True)
    reason = models.CharField(_("reason for moving"), max_length=8, choices=MoveReason.choices,
                              default=MoveReason.WORK)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_via = models.CharField(_("recorded via"), max_length=12, default="form")
    #: the notice from another office that opened or last updated this spell
    source_message = models.ForeignKey("Message", verbose_name=_("from the message"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = SpellQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("migrant spell")
        verbose_name_plural = _("migrant spells")
        constraints = [
            # one current spell per person and direction: a move ends one, then opens the next
            models.UniqueConstraint(fields=["person", "direction"],
                                    condition=models.Q(end_date=None),
                                    name="migrant_one_current_spell"),
        ]
        indexes = [models.Index(fields=["direction", "start_date"], name="spell_direction_start"),
                   models.Index(fields=["hukou_code"], name="spell_hukou")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.person_id} {self.start_date}"

    @property
    def residence_label(self) -> str:
        """居住地 as pages, lists and the person page show it: the unit here (code and
        name), or the code and address elsewhere."""
        if self.residence_org is not None:
            return f"{self.residence_org.code} {self.residence_org.name}"
        return " ".join(p for p in (self.residence_code, self.residence_address) if p)


class MessageType(models.TextChoices):
    """What an exchange message is (its ``type`` in the envelope)."""

    ARRIVAL_NOTICE = "arrival_notice", _("arrival notice")  # 流入通报, to the hukou place
    DEPARTURE_NOTICE = "departure_notice", _("departure notice")  # 流出通报
    BIRTH_NOTICE = "birth_notice", _("birth notice")  # 出生通报, to the hukou place
    DEATH_NOTICE = "death_notice", _("death notice")  # 死亡通报, to the hukou place
    VERIFICATION_REQUEST = "verification_request", _("verification request")  # 协查请求
    VERIFICATION_ANSWER = "verification_answer", _("answer to a verification request")  # 协查反馈
    SERVICE_REFERRAL = "service_referral", _("service referral")  # 服务转介
    CORRECTION_NOTICE = "correction_notice", _("correction notice")  # 更正通知


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent")  # 紧急: 15 days to answer
    ORDINARY = "ordinary", _("ordinary")  # 一般: 30 days


class MessageState(models.TextChoices):
    """draft → sent → received → answered | rejected → closed. Overdue is not a state:
    it is computed from the deadline (:meth:`MessageQuerySet.overdue`)."""

    DRAFT = "draft", pgettext_lazy("exchange message state", "draft")
    SENT = "sent", pgettext_lazy("exchange message state", "sent")
    RECEIVED = "received", pgettext_lazy("exchange message state", "received")
    ANSWERED = "answered", pgettext_lazy("exchange message state", "answered")
    REJECTED = "rejected", pgettext_lazy("exchange message state", "rejected")
    CLOSED = "closed", pgettext_lazy("exchange message state", "closed")


class Box(models.TextChoices):
    OUTGOING = "out", _("sent by this office")
    INCOMING = "in", _("received from another office")


class MatchStatus(models.TextChoices):
    """How a received message about a person met this office's register."""

    NOT_APPLICABLE = "", _("not applicable")
    MATCHED = "matched", _("found in the register")
    NOT_FOUND = "not_found", _("not found in the register")
    ALREADY_KNOWN = "known", _("already recorded here")


#: Messages that ask for an answer (and so have a deadline).
REQUEST_TYPES = (MessageType.VERIFICATION_REQUEST,)
#: States in which a request still waits for its answer.
OPEN_STATES = (MessageState.SENT, MessageState.RECEIVED)


class MessageQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "exchange_migrants"

    if TYPE_CHECKING:  # for the type checker only: open_requests() chains after visible_to()
        def visible_to(self, user) -> MessageQuerySet: ...

    def requests(self) -> MessageQuerySet:
        return self.filter(type__in=REQUEST_TYPES)

    def open_requests(self) -> MessageQuerySet:
        """Requests not yet answered or rejected."""
        return self.requests().filter(state__in=OPEN_STATES)

    def overdue(self, today) -> MessageQuerySet:
        """Open requests whose deadline has passed (超期), computed, never stored."""
        return self.open_requests().filter(deadline__lt=today)


class Message(models.Model):
    """One exchange message, as sent or as received (``box``); see
    :mod:`renkou.migrants.envelope` for the envelope and the payload of each type."""

    message_id = models.UUIDField(_("message ID"), default=uuid.uuid4)
    #: the request this message answers (or the notice it corrects)
    correlation_id = models.UUIDField(_("answers the message"), null=True, blank=True)
    box = models.CharField(_("box"), max_length=3, choices=Box.choices)
    sender = models.CharField(_("sender"), max_length=12)
    receiver = models.CharField(_("receiver"), max_length=12)
    type = models.CharField(_("type"), max_length=24, choices=MessageType.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices,
                               default=Urgency.ORDINARY)
    created_at = models.DateTimeField(_("written at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    deadline = models.DateField(_("answer due by"), null=True, blank=True)
    payload = models.JSONField(_("contents"), default=dict)
    #: Ed25519 signature of the envelope by the sender (base64), set when sent
    signature = models.CharField(_("signature"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=9, choices=MessageState.choices,
                             default=MessageState.DRAFT)
    state_changed_at = models.DateTimeField(_("state since"))
    #: the reason given when the message was rejected
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    #: incoming: the sender is still to be told of its state (a receipt in the next batch)
    receipt_pending = models.BooleanField(_("receipt to send"), default=False)
    #: answered: the answer message (outgoing requests: received; incoming: written here)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    #: the unit here the message concerns (its office's subtree sees it)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("unit concerned"),
                            on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("register.Person", verbose_name=_("person"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    spell = models.ForeignKey(MigrantSpell, verbose_name=_("migrant spell"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="messages")
    match = models.CharField(_("match with the register"), max_length=9,
                             choices=MatchStatus.choices, blank=True)
    batch = models.ForeignKey("Batch", verbose_name=_("batch"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="messages")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange message")
        verbose_name_plural = _("exchange messages")
        constraints = [models.UniqueConstraint(fields=["box", "message_id"],
                                               name="message_once_per_box")]
        indexes = [models.Index(fields=["box", "receiver", "state"], name="message_outbox"),
                   models.Index(fields=["correlation_id"], name="message_correlation")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.message_id}"

    @property
    def counterparty(self) -> str:
        """The other office: the receiver of what this office sent, the sender of what it
        received."""
        return self.receiver if self.box == Box.OUTGOING else self.sender


class Batch(models.Model):
    """One signed batch of messages and receipts between two offices, by file or HTTP.

    An outgoing batch is made once and sent again unchanged until it is delivered (the
    receiver recognises a batch it has seen by ``batch_id``); an incoming batch is kept
    with the receipts it was answered with, so importing it again changes nothing and
    gives the same answer."""

    batch_id = models.UUIDField(_("batch ID"), default=uuid.uuid4)
    box = models.CharField(_("box"), max_length=3, choices=Box.choices)
    sender = models.CharField(_("sender"), max_length=12)
    receiver = models.CharField(_("receiver"), max_length=12)
    created_at = models.DateTimeField(_("made at"))
    #: outgoing: when written to a file or accepted by the peer; incoming: when imported
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    transport = models.CharField(_("transport"), max_length=4, blank=True)  # file | http
    messages_count = models.PositiveIntegerField(_("messages"), default=0)
    receipts_count = models.PositiveIntegerField(_("receipts"), default=0)
    #: SHA-256 of the batch as signed (incoming: as received)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    #: the whole signed batch (outgoing: sent again as is until delivered)
    content = models.JSONField(_("content"), default=dict)
    #: incoming: the signed receipts batch it was answered with
    answer = models.JSONField(_("answer"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.CharField(_("last delivery error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange batch")
        verbose_name_plural = _("exchange batches")
        constraints = [models.UniqueConstraint(fields=["box", "batch_id"],
                                               name="batch_once_per_box")]

    def __str__(self) -> str:
        return str(self.batch_id)


class Peer(models.Model):
    """A counterpart office (对方管理地): its division code, its public key, and the URL of
    its renkou server when batches go over HTTP."""

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(pgettext_lazy("office", "name"), max_length=100, blank=True)
    public_key = models.CharField(_("public key"), max_length=200)
    url = models.URLField(_("server address"), blank=True)
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("counterpart office")
        verbose_name_plural = _("counterpart offices")

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class OfficeKey(models.Model):
    """This office's signing key pair (Ed25519). The newest row signs; the private key
    is kept here unless ``RENKOU_EXCHANGE_KEY_FILE`` names a file that holds it."""

    office_code = models.CharField(_("division code"), max_length=12)
    public_key = models.CharField(_("public key"), max_length=200)
    #: PEM (PKCS 8) of the private key, empty when it is kept in the key file
    private_key = models.TextField(_("private key"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange key")
        verbose_name_plural = _("exchange keys")

    def __str__(self) -> str:
        return self.office_code
