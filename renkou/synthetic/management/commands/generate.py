"""``renkou generate``: fill the database with a synthetic county."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from renkou.synthetic.areas import area_name
from renkou.synthetic.county import COUNTY_CODE, COUNTY_NAME, check_county_code
from renkou.synthetic.service import RegisterNotEmpty, generate_county


class Command(BaseCommand):
    help = "Generate a realistic synthetic county (deterministic for a given seed)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=200_000,
                            help="number of person records (default 200,000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--defects", type=float, default=0.0, metavar="RATE",
                            help="share of persons given a known defect (default 0)")
        parser.add_argument("--truth", type=Path, default=Path("defects-truth.csv"),
                            help="where to write the ground truth of injected defects")
        parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None,
                            help="last day of the ten simulated years (default today)")
        parser.add_argument("--replace", action="store_true",
                            help="delete the register already in the database first")
        parser.add_argument("--timings-json", type=Path, default=None,
                            help="write counts and phase timings to this JSON file")
        parser.add_argument("--county", default=COUNTY_CODE, metavar="CODE",
                            help=f"six-digit division code of the county (default {COUNTY_CODE}); "
                                 "the org codes and the ID numbers of the people born there "
                                 "derive from it")
        parser.add_argument("--name", default=None,
                            help=f"name of the county (default {COUNTY_NAME} for the default "
                                 "county, else the county's name in python-stdnum's table)")

    def handle(self, *args, persons, seed, defects, truth, end_date, replace, timings_json,
               county, name, **options):
        if persons < 1000:
            raise CommandError(_("--persons must be at least 1000"))
        if not 0 <= defects < 0.5:
            raise CommandError(_("--defects must be between 0 and 0.5"))
        try:
            check_county_code(county)
        except ValueError:
            raise CommandError(_("--county must be the six-digit division code of a county, "
                                 "district or county-level city (e.g. %(example)s), not "
                                 "“%(code)s”") % {"example": COUNTY_CODE, "code": county}) from None
        name = (name or "").strip() or (COUNTY_NAME if county == COUNTY_CODE else area_name(county))
        call_command("migrate", verbosity=0, interactive=False)
        bars: dict[str, tqdm] = {}
        totals = {"persons": persons + int(persons * defects)}

        def progress(stage: str, n: int) -> None:
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(total=totals.get(stage), desc=stage, unit=" rows",
                                   disable=options["verbosity"] == 0)
            bars[stage].update(n)

        try:
            report = generate_county(persons, seed, end=end_date, defects=defects,
                                     truth_path=truth, replace=replace, progress=progress,
                                     code=county, name=name)
        except RegisterNotEmpty:
            raise CommandError(_("the database already holds a register; "
                                 "use --replace to delete it and generate a new county")) from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            _("generated %(persons)s persons, %(households)s households, %(events)s events "
              "in %(orgunits)s org units (simulation %(sim).1f s, writing %(write).1f s)")
            % {"persons": report.persons, "households": report.households,
               "events": report.events, "orgunits": report.orgunits,
               "sim": report.seconds["simulate"], "write": report.seconds["write"]}
        )
        self.stdout.write(
            _("%(code)s %(name)s: %(outflow)s outflow and %(inflow)s inflow migrants")
            % {"code": report.code, "name": report.name, "outflow": report.outflow,
               "inflow": report.inflow})
        if timings_json is not None:
            timings_json.write_text(json.dumps(
                {"persons": report.persons, "households": report.households,
                 "events": report.events, **report.seconds}))
        if report.defects:
            self.stdout.write(_("injected %(n)s defects; ground truth in %(path)s")
                              % {"n": report.defects, "path": truth})
