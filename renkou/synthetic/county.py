"""The org tree of the synthetic county: townships, streets, villages, communities.

Codes follow the statistical division code (统计用区划代码): six digits of a real
county (340621, so that ID numbers pass python-stdnum's area-code check, which
knows that code for every birth year), three for the
township (0xx street, 1xx town, 2xx township) and three for the village (0xx
community, 2xx village). The names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .names import COMMUNITY_NAMES, PLACE_CHARS, TOWNSHIP_NAMES

COUNTY_CODE = "340621"
COUNTY_NAME = "示范县"


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


def build_county(rng: np.random.Generator, persons: int) -> CountyTree:
    """About 15 townships and 250 villages/communities for a county of 200,000.

    The number of villages scales with ``persons`` (at least 12) so that a small test
    county stays small and a million-person county has realistic village sizes.
    """
    n_villages = int(np.clip(round(250 * persons / 200_000), 12, 1200))
    n_townships = int(np.clip(round(n_villages / 17), 3, 25))
    rows = [OrgRow(COUNTY_CODE + "000000", COUNTY_NAME, "county", None, "rural")]
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
        township_code = COUNTY_CODE + code3 + "000"
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
