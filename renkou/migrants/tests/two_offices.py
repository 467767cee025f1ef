"""Two renkou offices side by side, for the exchange tests: county A (340621, generated
by ``renkou generate``, 1,000 persons) and district B (340102, a small org tree of its
own), each with its own SQLite database and folder, driven through the ``renkou`` CLI in
subprocesses — as two offices on two machines would be.

The pair is built once per test session (migrate, generate, ``keys create`` in each,
``peers add`` both ways: B keeps its private key in a key file) and copied for each test,
so every test starts from the same two offices and changes only its own copies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from renkou.core import clock
from renkou.migrants import signing
from renkou.migrants.envelope import FORMAT, canonical_bytes
from renkou.migrants.exchange import sign_batch
from renkou.migrants.models import OfficeKey

CODE_A = "340621000000"
CODE_B = "340102000000"
#: the community of B where arrivals live
COMMUNITY_B = "340102001001"
#: the generated county's ten years end here (so it is the same county on every day)
END_DATE = "2026-06-30"

B_UNITS = """
from renkou.orgunits.models import OrgUnit
county = OrgUnit.objects.create(code="340102000000", name="邻区", kind="district", parent=None,
                                urban_rural="urban")
street = OrgUnit.objects.create(code="340102001000", name="东街道", kind="street", parent=county,
                                urban_rural="urban")
OrgUnit.objects.create(code="340102001001", name="东社区", kind="community", parent=street,
                       urban_rural="urban")
"""

#: a resident of A with an ID number, born before 1995, on no migrant spell
PICK_PERSON = """
from renkou.register.models import Person
p = (Person.objects.filter(status="resident", birth_date__year__lt=1995, id_number__startswith="340621")
     .exclude(migrant_spells__isnull=False).order_by("pk").first())
out(dict(pk=p.pk, id_number=p.id_number, name=p.name, sex=p.sex, birth_date=p.birth_date.isoformat(),
         unit=p.registered_org.code))
"""

PRELUDE = ("import django, json; django.setup()\n"
           "def out(value): print('@@' + json.dumps(value, ensure_ascii=False, default=str))\n")


@dataclass
class Office:
    """One office: its folder, database and the environment its processes run in."""

    name: str
    code: str
    folder: Path
    key_file: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("RENKOU_EXCHANGE_KEY_FILE", "LANGUAGE", "RENKOU_OFFICE_CODE")}
        env |= {"DATABASE_URL": f"sqlite:///{self.folder / 'renkou.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "renkou.settings", "RENKOU_HOME": str(self.folder)}
        if self.key_file is not None:
            env["RENKOU_EXCHANGE_KEY_FILE"] = str(self.key_file)
        self.env = env

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "renkou", *args], env=self.env,
                                cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return finish(self.start(*args), check=check)

    def migrants(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``renkou migrants ARGS`` (without the system checks, which every call would repeat)."""
        return self.run("migrants", "--skip-checks", *args, check=check)

    def start_migrants(self, *args: str) -> subprocess.Popen:
        return self.start("migrants", "--skip-checks", *args)

    def start_python(self, code: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", PRELUDE + code], env=self.env, cwd=self.folder,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def python(self, code: str) -> Any:
        """Run ``code`` in a process of this office; what it passed to ``out(...)``."""
        return result_of(finish(self.start_python(code)))


def finish(proc: subprocess.Popen, check: bool = True) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=240)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"{proc.args[2:]} failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return done


def result_of(done: subprocess.CompletedProcess) -> Any:
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    return json.loads(lines[-1][2:]) if lines else None


def together(*procs: subprocess.Popen, check: bool = True) -> list[subprocess.CompletedProcess]:
    """Wait for processes started side by side (one in each office)."""
    return [finish(p, check=check) for p in procs]


@dataclass
class Pair:
    a: Office
    b: Office
    #: A's resident who goes to live in B
    person: dict[str, Any]
    #: what the set-up printed: keys create and peers add in each office
    outputs: dict[str, str]


def _copy(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)


#: the pair built in this session (the fixture is imported by more than one test module,
#: and pytest keeps a session fixture per module that defines it)
_BUILT: dict[str, Pair] = {}


@pytest.fixture(scope="session")
def office_templates(tmp_path_factory) -> Pair:
    """The two offices as every test starts from them (built once, see the module)."""
    if "pair" not in _BUILT:
        _BUILT["pair"] = _build(tmp_path_factory.mktemp("offices"))
    return _BUILT["pair"]


def _build(root: Path) -> Pair:
    a = Office("A", CODE_A, root / "A")
    b = Office("B", CODE_B, root / "B", key_file=root / "B" / "exchange-key.pem")
    a.folder.mkdir()
    b.folder.mkdir()
    a.run("migrate", "-v0")
    shutil.copy2(a.folder / "renkou.sqlite3", b.folder / "renkou.sqlite3")
    together(a.start("generate", "--persons", "1000", "--seed", "3", "--end-date", END_DATE),
             b.start_python(B_UNITS))
    keys = together(a.start_migrants("keys", "create", "--out", str(root / "A" / "a.pub")),
                    b.start_migrants("keys", "create", "--out", str(root / "B" / "b.pub")))
    peers = together(
        a.start_migrants("peers", "add", "--code", "340102", "--key", str(root / "B" / "b.pub"),
                         "--name", "邻区"),
        b.start_migrants("peers", "add", "--code", "340621", "--key", str(root / "A" / "a.pub"),
                         "--name", "示范县"))
    person = a.python(PICK_PERSON)
    outputs = {"keys_a": keys[0].stdout, "keys_b": keys[1].stdout, "peers_a": peers[0].stdout,
               "peers_b": peers[1].stdout}
    return Pair(a, b, person, outputs)


@pytest.fixture
def offices(office_templates, tmp_path) -> Pair:
    """This test's own copies of the two offices."""
    t = office_templates
    _copy(t.a.folder, tmp_path / "A")
    _copy(t.b.folder, tmp_path / "B")
    return Pair(Office("A", CODE_A, tmp_path / "A"),
                Office("B", CODE_B, tmp_path / "B", key_file=tmp_path / "B" / "exchange-key.pem"),
                t.person, t.outputs)


def register_arrival_code(person: dict[str, Any], arrival_date: str = "2026-09-01") -> str:
    """Code run in B: the person of A arrives to live in B's community (流入登记)."""
    return f"""
import datetime as dt
from renkou.migrants import services
from renkou.orgunits.models import OrgUnit
spell = services.register_arrival(
    hukou_code={person['unit']!r}, residence_org=OrgUnit.objects.get(code={COMMUNITY_B!r}),
    arrival_date=dt.date.fromisoformat({arrival_date!r}), id_number={person['id_number']!r},
    name={person['name']!r}, sex={person['sex']!r},
    birth_date=dt.date.fromisoformat({person['birth_date']!r}), reason="work")
out(dict(spell=spell.pk, person=spell.person_id))
"""


# ---------------------------------------------------------------- an office elsewhere, in one database

class Counterpart:
    """An office elsewhere (340102), with its own key, registered here as a peer."""

    code = "340102000000"

    def __init__(self) -> None:
        private = Ed25519PrivateKey.generate()
        self.key = OfficeKey(office_code=self.code, public_key=signing.public_key_text(
            private.public_key()), private_key=private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode())

    def batch(self, messages: list[dict], receiver: str = "110101000000", key=None,
              sender: str | None = None, receipts: list[dict] | None = None) -> dict:
        """A signed batch of these messages (``type``, ``payload`` and any other envelope
        field) and receipts, as that office would send it."""
        sender, receipts = sender or self.code, receipts or []
        signed = []
        for message in messages:
            envelope = {"message_id": str(uuid.uuid4()), "correlation_id": None, "sender": sender,
                        "receiver": receiver, "urgency": "ordinary",
                        "sent_at": clock.now().isoformat(), "deadline": None, **message}
            signed.append({**envelope, "signature": signing.sign(canonical_bytes(envelope),
                                                                 key or self.key)})
        return sign_batch({"format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": sender,
                           "receiver": receiver, "created_at": clock.now().isoformat(),
                           "manifest": {"messages": len(signed), "receipts": len(receipts),
                                        "by_type": {}, "sender_key": self.key.public_key},
                           "messages": signed, "receipts": receipts}, key or self.key)


@pytest.fixture
def counterpart(small_register) -> Counterpart:
    """This office (the small county 110101) with its key, and district 340102 registered
    as its counterpart."""
    from renkou.migrants.models import Peer

    signing.create_office_key("110101")
    other = Counterpart()
    Peer.objects.create(code=other.code, name="邻区", public_key=other.key.public_key,
                        added_at=clock.now())
    return other


def arrival_of(person, arrival_date: str = "2026-09-01", residence: str = "340102001001") -> dict:
    """An arrival notice (type and payload) about ``person`` living at ``residence``."""
    from renkou.migrants.services import person_facts

    return {"type": "arrival_notice", "payload": {
        "person": person_facts(person), "hukou_code": person.registered_org.code,
        "residence": {"code": residence, "name": "东社区", "address": ""},
        "arrival_date": arrival_date, "reason": "work"}}
