"""``renkou demo``: a populated demo county, one user per role, served locally."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from renkou.accounts.services import DEMO_PASSWORD, ensure_demo_users
from renkou.core import registry
from renkou.core.management.commands.serve import serve
from renkou.synthetic import demo_database
from renkou.synthetic.service import register_is_empty

#: Share of persons given a known defect (duplicates, swapped birth day and month, …) so
#: the data-quality pages have something to find; the ground truth goes to this file.
DEMO_DEFECT_RATE = 0.01
DEMO_TRUTH_FILE = "demo-defects-truth.csv"
# Each app that puts the fresh demo county into a state its pages can show declares a
# demo step on its AppConfig (``demo_order``); they run in that order, then the
# statistics are computed so that they include what the steps recorded.


class Command(BaseCommand):
    help = ("Create the database if needed, generate the demo county (first run only), "
            "create one demo user per role and serve the site.")

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=200_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true",
                            help="prepare the data and users, then exit")

    def handle(self, *args, persons, seed, port, host, no_serve, **options):
        call_command("migrate", verbosity=0, interactive=False)
        if not demo_database.is_demo():
            if not demo_database.is_blank():
                raise CommandError(_(
                    "this database already holds users or a register and was not created by "
                    "renkou demo: the demo adds neither synthetic persons nor users with a "
                    "public password to it. Run the demo on a database of its own (e.g. "
                    "DATABASE_URL=sqlite:///demo.sqlite3 renkou demo)."), returncode=1)
            demo_database.mark_as_demo()
        if register_is_empty():
            self.stdout.write(_("generating the demo county (%(n)s persons)…") % {"n": persons})
            call_command("generate", persons=persons, seed=seed, defects=DEMO_DEFECT_RATE,
                         truth=DEMO_TRUTH_FILE, stdout=self.stdout,
                         verbosity=options["verbosity"])
            ensure_demo_users()  # the preparers act as the demo users
            for step in registry.demo_steps():
                step.run(self.stdout)
            self.stdout.write(_("computing the statistics…"))
            call_command("analytics", "refresh", "--quiet", stdout=self.stdout)
        else:
            self.stdout.write(_("reusing the register already in the database"))
        users = ensure_demo_users()
        self.stdout.write(_("demo logins (password for all: %(pw)s):") % {"pw": DEMO_PASSWORD})
        for username, role, org in users:
            self.stdout.write(f"  {username:<14} {role:<18} {org.code} {org.name}")
        if not no_serve:
            serve(host=host, port=port, stdout=self.stdout)
