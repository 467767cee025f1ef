"""The org tree of the synthetic county: townships, streets, villages, communities.

Codes follow the statistical division code (统计用区划代码): six digits of a real
county (by default 340621, which python-stdnum's area-code check knows for every
birth year; ``renkou generate --county CODE`` makes another), three for the
township (0xx street, 1xx town, 2xx township) and three for the village (0xx
community, 2xx village). The names are invented, the county's own name aside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .names import COMMUNITY_NAMES, PLACE_CHARS, TOWNSHIP_NAMES

COUNTY_CODE = "340621"
COUNTY_NAME = "示范县"


def check_county_code(code: str) -> str:
    """``code`` if it is the six-digit division code of a county (县, 县级市 or 区) that
    python-stdnum's ID-number table knows today, else :class:`ValueError` with the reason
    (the ID numbers of the people born there carry it)."""
    from renkou.core import clock

    from .areas import area_name, is_valid_for_year

    if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
        raise ValueError(f"“{code}” is not a six-digit county code")
    if code.endswith(("00", "01")) or not area_name(code) or \
            not is_valid_for_year(code, clock.today().year):
        raise ValueError(f"“{code}” is not the code of a county that python-stdnum knows today")
    return code


def seed_for(seed: int, code: str = COUNTY_CODE, *stream: int) -> int | list[int]:
    """The seed of one random stream of a county: the default county's streams are the
    ones it always had (``seed``, ``[seed, 1]`` …); another county's mix its code in, so
    two counties generated with one seed are two different populations."""
    if code == COUNTY_CODE:
        return [seed, *stream] if stream else seed
    return [seed, *stream, int(code)]


@dataclass
class OrgRow:
    code: str
    name: str
    kind: str
    parent_code: str | None
    urban_rural: str


@dataclass
class CountyTree:
    rows: list[OrgRow]
    #: indexes into ``rows`` of the units people live in (villages and communities)
    village_rows: list[int]
    #: for each village: index of its township in ``rows``
    village_township: np.ndarray
    village_urban: np.ndarray
    #: relative population size of each village
    village_weight: np.ndarray

    @property
    def code(self) -> str:
        """The county's six-digit division code."""
        return self.rows[0].code[:6]

    @property
    def name(self) -> str:
        return self.rows[0].name


def build_county(rng: np.random.Generator, persons: int, code: str = COUNTY_CODE,
                 name: str = COUNTY_NAME) -> CountyTree:
    """About 15 townships and 250 villages/communities for a county of 200,000.

    The number of villages scales with ``persons`` (at least 12) so that a small test
    county stays small and a million-person county has realistic village sizes. ``code``
    is the county's six-digit division code, ``name`` its name.
    """
    n_villages = int(np.clip(round(250 * persons / 200_000), 12, 1200))
    n_townships = int(np.clip(round(n_villages / 17), 3, 25))
    county_code, county_name = code, name
    rows = [OrgRow(county_code + "000000", county_name, "county", None, "rural")]
    village_rows: list[int] = []
    village_township: list[int] = []
    village_urban: list[bool] = []
    weights: list[float] = []
    # two streets (urban core), the rest towns and townships
    n_streets = max(1, n_townships // 6)
    per_township = rng.multinomial(n_villages - n_townships * 3,
                                   np.ones(n_townships) / n_townships) + 3
    used_names: set[str] = set()
    for t in range(n_townships):
        base = TOWNSHIP_NAMES[t % len(TOWNSHIP_NAMES)]
        if t < n_streets:
            kind, code3, suffix, urban = "street", f"{t + 1:03d}", "街道", True
        elif t < n_streets + n_townships // 2:
            kind, code3, suffix, urban = "town", f"{100 + t:03d}", "镇", False
        else:
            kind, code3, suffix, urban = "township", f"{200 + t:03d}", "乡", False
        township_code = county_code + code3 + "000"
        township_index = len(rows)
        rows.append(OrgRow(township_code, base + suffix, kind, rows[0].code,
                           "urban" if urban else "rural"))
        n_here = int(per_township[t])
        # towns have a few communities at their centre; streets are all communities
        n_communities = n_here if urban else (2 if kind == "town" else 0)
        for v in range(n_here):
            is_community = v < n_communities
            if is_community:
                name = COMMUNITY_NAMES[v % len(COMMUNITY_NAMES)] + "社区"
                code = township_code[:9] + f"{v + 1:03d}"
            else:
                name = _village_name(rng, used_names)
                code = township_code[:9] + f"{200 + v:03d}"
            village_rows.append(len(rows))
            rows.append(OrgRow(code, name, "community" if is_community else "village",
                               township_code, "urban" if is_community else "rural"))
            village_township.append(township_index)
            village_urban.append(is_community)
            weights.append(rng.uniform(1.6, 3.0) if is_community else rng.uniform(0.5, 1.3))
    weights_arr = np.array(weights)
    return CountyTree(rows, village_rows, np.array(village_township),
                      np.array(village_urban), weights_arr / weights_arr.sum())


def _village_name(rng: np.random.Generator, used: set[str]) -> str:
    for _ in range(1000):
        name = "".join(rng.choice(list(PLACE_CHARS), size=2)) + "村"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of village names")
