"""Build ``data/example.xlsx``: a small, complete, valid case for planners to start from.

Six regions, three minerals (NdPr oxide, gallium, cobalt), four yearly periods
(2026-2029), every sheet of the input workbook, and a ``sources`` sheet naming where
each figure comes from. Sourced figures quote the ``source`` field of the compiled
public figures (USGS Mineral Commodity Summaries 2026, IEA, policy texts); everything
else is labelled a planning assumption.

Run ``python data/build_example.py [OUTPUT.xlsx]`` (default: ``example.xlsx`` beside
this script). The output depends on nothing but this file, so it is reproducible.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from optimizer.workbook.contract import SHEETS_BY_NAME
from optimizer.workbook.template import write_workbook

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "example.xlsx"

# ---------------------------------------------------------------- sources, quoted

_USGS_PARSE = "parsed copy: github.com/pranava0x0/usgs-mineral-commodity-summaries"
REE_MINE = (
    "USGS MCS 2026 (Feb 2026), World Mine Production and Reserves; "
    "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-rare-earths.pdf; "
    f"{_USGS_PARSE} data/audit/rare-earths/data.json; 2025 USGS estimate"
)
REE_US_REFINED = (
    "USGS MCS 2026 (Feb 2026), Salient Statistics—United States (Production, compounds and "
    "metals); https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-rare-earths.pdf; "
    f"{_USGS_PARSE} data/audit/rare-earths/data.json; 2025 estimate"
)
REE_PROCESSING = (
    "IEA figure (China 61% of mined and 92% of processed rare earths) as reported by "
    "Automotive World, 2025-06-19: "
    "https://www.automotiveworld.com/articles/chinas-rare-earth-halts-a-lose-lose-scenario-for-auto/"
)
REE_US_CONSUMPTION = (
    "USGS MCS 2026 rare_earths chapter, Salient Statistics—United States; "
    "parsed copy github.com/pranava0x0/usgs-mineral-commodity-summaries"
)
REE_GROWTH = (
    "IEA base scenario as charted by Statista https://www.statista.com/chart/35397/"
    "global-demand-for-critical-minerals-lithium-cobalt-graphite-ree-by-technology-type"
)
IEA_DEMAND = (
    "IEA Global Critical Minerals Outlook 2024 figures as summarised by "
    "https://theearthandi.org/post/global-critical-minerals-outlook-2024"
)
NDPR_PRICE = (
    "DERIVED unit conversion of: USGS MCS 2026, rare earths chapter, Salient Statistics "
    "price line; https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-rare-earths.pdf; "
    "parsed copy github.com/pranava0x0/usgs-mineral-commodity-summaries "
    "data/audit/rare-earths/data.json; 2025 = USGS estimate"
)
NDPR_FLOOR = (
    "2025 US defence offtake for NdPr (US Department of Defense agreement with MP "
    "Materials, July 2025): price floor of 110 USD/kg NdPr oxide; public announcement, "
    "not among the compiled USGS/IEA figures: verify before use"
)
REE_CONTROLS = (
    "China MOFCOM/GAC Announcements Nos. 55-58, 61, 62 of 2025, suspended 2025-11-07 until "
    "2026-11-10 by Announcement No. 70 of 2025: Pillsbury https://www.pillsburylaw.com/en/"
    "news-and-insights/china-suspends-export-controls-certain-critical-minerals-related-"
    "items.html"
)
GA_PRIMARY = (
    "USGS MCS 2026 (Feb 2026), World Low-Purity Production and Production Capacity; "
    "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-gallium.pdf; "
    f"{_USGS_PARSE} data/audit/gallium/data.json; 2025 USGS estimate"
)
GA_PRICE = (
    "DERIVED unit conversion of: USGS MCS 2026, gallium chapter, Salient Statistics price "
    "line; https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-gallium.pdf; parsed copy "
    "github.com/pranava0x0/usgs-mineral-commodity-summaries data/audit/gallium/data.json; "
    "2025 = USGS estimate"
)
GA_US_CONSUMPTION = (
    "USGS MCS 2026 gallium chapter, Salient Statistics—United States; "
    "parsed copy github.com/pranava0x0/usgs-mineral-commodity-summaries"
)
GA_IMPORTS = (
    "USGS MCS 2026 gallium chapter, Import Sources (2021-24); parsed copy "
    "github.com/pranava0x0/usgs-mineral-commodity-summaries data/audit/gallium/data.json"
)
GA_CONTROLS = (
    "China Justice Observer https://chinajusticeobserver.com/a/china-imposes-export-"
    "controls-on-gallium-and-germanium ; USGS MCS 2026 Gallium "
    "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-gallium.pdf"
)
CO_MINE = (
    "USGS MCS 2026 (Feb 2026), World Mine Production and Reserves; "
    "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-cobalt.pdf; "
    f"{_USGS_PARSE} data/audit/cobalt/data.json; 2025 USGS estimate"
)
CO_PROCESSING = (
    "IEA Critical Minerals Policy Tracker (2022) / IEA 'Role of Critical Minerals in Clean "
    "Energy Transitions' processing shares (data as of 2019), as reported by Fortune India: "
    "https://fortuneindia.com/amp/story/enterprise/vital-minerals-metals-for-clean-energy-"
    "dominated-by-one-countrychina-iea/110723"
)
CO_PRICE = (
    "DERIVED unit conversion of: USGS MCS 2026, cobalt chapter, Salient Statistics price "
    "line; https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-cobalt.pdf; parsed copy "
    "github.com/pranava0x0/usgs-mineral-commodity-summaries data/audit/cobalt/data.json; "
    "2025 = USGS estimate"
)
CO_US_CONSUMPTION = (
    "USGS MCS 2026 cobalt chapter, Salient Statistics—United States; "
    "parsed copy github.com/pranava0x0/usgs-mineral-commodity-summaries"
)
CO_QUOTA = (
    "USGS MCS 2026 Cobalt, Events/Trends "
    "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-cobalt.pdf"
)
MINISTERIAL = (
    "US State Dept fact sheet '2026 Critical Minerals Ministerial' (Office of the "
    "Spokesperson, 2026-02-04), attendee list as mirrored at "
    "http://nie-podam.pl/viewer.php?id=110731777 ; count (54 countries + European "
    "Commission, 43 ministers) also reported by S&P Global https://www.spglobal.com/energy/"
    "en/news-research/latest-news/metals/020526-us-signs-11-critical-mineral-frameworks-"
    "mous-to-strengthen-supply-chain"
)
VAULT_LOAN = (
    "GTR https://www.gtreview.com/?p=121242 ; Bloomberg via https://www.tradingpedia.com/"
    "2026/02/02/u-s-unveils-12b-critical-minerals-stockpile/"
)
VAULT_PRIVATE = (
    "https://www.gtreview.com/?p=121242 ; https://mail.tradevae.com/news/economy/"
    "administration-to-build-12-billion-critical-minerals-reserve-to-shield-us-manufacturing"
)
VAULT_COVER = (
    "https://www.principlecivics.com/topics/trump-project-vault-feb-2026 (secondary summary)"
)
ASSUMPTION = "planning assumption for this example (not a sourced figure)"
DEFINITION = "definition of this example"

# ---------------------------------------------------------------- derived constants

NDPR_SHARE_OF_REO = 0.2  # planning assumption: NdPr oxide per tonne of mined REO
NDPR_YIELD = 0.95  # planning assumption: separation recovery
COVER_DAYS = 60  # Project Vault target cover
NDPR_GROWTH = 1.45 ** (1 / 6)  # IEA: rare-earth demand +45% from 2024 to 2030
PERIODS = ("2026", "2027", "2028", "2029")


@dataclass(frozen=True, slots=True)
class Figure:
    """A value in the workbook together with where it comes from."""

    value: float | int | str
    unit: str
    source: str
    note: str = ""


def _ree_mine(country: str, reo_t: int) -> Figure:
    return Figure(
        round(reo_t * NDPR_SHARE_OF_REO), "t/yr NdPr oxide", REE_MINE,
        f"{country} rare-earth mine production 2025e {reo_t:,} t REO × {NDPR_SHARE_OF_REO} "
        "NdPr oxide per t REO (planning assumption)",
    )


def _assumed(value: float | int | str, unit: str, note: str = "") -> Figure:
    return Figure(value, unit, ASSUMPTION, note)


def _cover(consumption_t: int, source: str, what: str) -> Figure:
    return Figure(
        round(consumption_t * COVER_DAYS / 365), "t", f"{VAULT_COVER} | {source}",
        f"Project Vault {COVER_DAYS}-day target cover × US {what} 2025e {consumption_t:,} t/yr",
    )


# ---------------------------------------------------------------- the case

Record = dict[str, object]


def tables() -> dict[str, list[Record]]:
    """Every sheet of the example, numbers as :class:`Figure` with their sources."""
    member = Figure("yes", "", MINISTERIAL,
                    "attended the 2026-02-04 Critical Minerals Ministerial; attendance is not "
                    "membership, but this example counts attendees as zone members")
    outsider = Figure("no", "", MINISTERIAL, "not on the ministerial's attendee list")
    us_ndpr = round(27000 * NDPR_SHARE_OF_REO)  # US apparent consumption, t REO -> NdPr
    return {
        "settings": [
            {"key": "currency", "value": "USD"},
            {"key": "discount_rate", "value": _assumed(0.05, "1/yr", "real discount rate")},
            {"key": "risk_weight", "value": _assumed(0, "", "expected cost only")},
            {"key": "cvar_alpha", "value": _assumed(0.95, "")},
            {"key": "stockpile_budget", "value": Figure(
                10_000_000_000 + 1_670_000_000, "USD", f"{VAULT_LOAN} | {VAULT_PRIVATE}",
                "Project Vault: 10 bn USD EXIM loan + 1.67 bn USD private capital")},
            {"key": "expansion_budget", "value": _assumed(1_500_000_000, "USD")},
            {"key": "zone_exclusive", "value": _assumed("no", "",
                                                        "imports from outside stay allowed")},
            {"key": "time_limit_s", "value": _assumed(300, "s")},
        ],
        "regions": [
            {"region": "US", "zone_member": Figure("yes", "", MINISTERIAL,
                                                   "host of the ministerial"),
             "name": "United States", "group": "Americas"},
            {"region": "CA", "zone_member": member, "name": "Canada", "group": "Americas"},
            {"region": "AU", "zone_member": member, "name": "Australia", "group": "Oceania"},
            {"region": "CD", "zone_member": member, "name": "Congo (Kinshasa)",
             "group": "Africa"},
            {"region": "CN", "zone_member": outsider, "name": "China", "group": "Asia"},
            {"region": "ID", "zone_member": outsider, "name": "Indonesia", "group": "Asia"},
        ],
        "minerals": [
            {"mineral": "ndpr", "shortfall_penalty_per_t": _assumed(500_000, "USD/t"),
             "description": "NdPr oxide (magnet rare earths), t of oxide; concentrate counted "
                            "as contained NdPr oxide"},
            {"mineral": "gallium", "shortfall_penalty_per_t": _assumed(3_000_000, "USD/t"),
             "description": "gallium metal, t Ga; concentrate is primary low-purity gallium"},
            {"mineral": "cobalt", "shortfall_penalty_per_t": _assumed(150_000, "USD/t"),
             "description": "cobalt, t of contained Co; concentrate is mine output "
                            "(hydroxide, intermediates)"},
        ],
        "periods": [
            {"period": period, "years": Figure(1, "years", DEFINITION, "yearly periods")}
            for period in PERIODS
        ],
        "facilities": _facilities(),
        "routes": _routes(),
        "demand": [
            *(
                {"region": "US", "mineral": "ndpr", "period": period, "demand_t": Figure(
                    round(us_ndpr * NDPR_GROWTH ** (int(period) - 2025), -1), "t/yr",
                    f"{REE_US_CONSUMPTION} | {REE_GROWTH}",
                    f"US apparent consumption 2025e 27,000 t REO × {NDPR_SHARE_OF_REO}, "
                    "growing as the IEA's +45% rare-earth demand 2024-2030")}
                for period in PERIODS
            ),
            {"region": "CN", "mineral": "ndpr", "period": "*", "demand_t": Figure(
                45_000, "t/yr", IEA_DEMAND,
                "planning assumption: about half the world's magnet rare-earth demand "
                "(93,000 t in 2023)")},
            {"region": "US", "mineral": "gallium", "period": "*", "demand_t": Figure(
                19, "t/yr", GA_US_CONSUMPTION, "US reported consumption 2025e")},
            {"region": "CN", "mineral": "gallium", "period": "*", "demand_t": _assumed(
                600, "t/yr", "China's own use of its primary gallium")},
            {"region": "US", "mineral": "cobalt", "period": "*", "demand_t": Figure(
                9_600, "t/yr", CO_US_CONSUMPTION, "US apparent consumption 2025e")},
            {"region": "CN", "mineral": "cobalt", "period": "*", "demand_t": Figure(
                150_000, "t/yr", IEA_DEMAND,
                "planning assumption: about 70% of world cobalt demand (215,000 t in 2023)")},
        ],
        "prices": [
            {"mineral": "ndpr", "stage": "refined", "period": "*",
             "market_price_per_t": Figure(69_000, "USD/t", NDPR_PRICE,
                                          "NdPr oxide 99% min, FOB (Argus), 2025e"),
             "floor_price_per_t": Figure(110_000, "USD/t", NDPR_FLOOR, "110 USD/kg")},
            {"mineral": "gallium", "stage": "refined", "period": "*",
             "market_price_per_t": Figure(580_000, "USD/t", GA_PRICE,
                                          "unit value of US imports of gallium metal, 2025e")},
            {"mineral": "cobalt", "stage": "refined", "period": "*",
             "market_price_per_t": Figure(33_069, "USD/t", CO_PRICE, "LME cash, 2025e")},
        ],
        "stockpiles": [
            {"stockpile": "vault-ndpr", "region": "US", "mineral": "ndpr", "stage": "refined",
             "capacity_t": _assumed(2_000, "t"), "initial_t": _assumed(0, "t", "new reserve"),
             "terminal_min_t": _cover(us_ndpr, REE_US_CONSUMPTION, "NdPr consumption"),
             "max_purchase_t": _assumed(1_000, "t/yr"),
             "holding_cost_per_t": _assumed(1_380, "USD/t/yr", "2% of the market price"),
             "release_needs_disruption": "yes"},
            {"stockpile": "vault-gallium", "region": "US", "mineral": "gallium",
             "stage": "refined", "capacity_t": _assumed(10, "t"),
             "initial_t": _assumed(0, "t", "new reserve"),
             "terminal_min_t": _cover(19, GA_US_CONSUMPTION, "gallium consumption"),
             "max_purchase_t": _assumed(5, "t/yr"),
             "holding_cost_per_t": _assumed(11_600, "USD/t/yr", "2% of the market price"),
             "release_needs_disruption": "yes"},
            {"stockpile": "vault-cobalt", "region": "US", "mineral": "cobalt",
             "stage": "refined", "capacity_t": _assumed(3_000, "t"),
             "initial_t": _assumed(0, "t", "new reserve"),
             "terminal_min_t": _cover(9_600, CO_US_CONSUMPTION, "cobalt consumption"),
             "max_purchase_t": _assumed(1_500, "t/yr"),
             "holding_cost_per_t": _assumed(660, "USD/t/yr", "2% of the market price"),
             "release_needs_disruption": "yes"},
        ],
        "offtakes": [
            {"facility": "US-NdPr-refine", "start_period": "2026", "end_period": "2029",
             "contract_t": _assumed(1_000, "t/yr", "quantity under the defence offtake"),
             "contract_price_per_t": Figure(110_000, "USD/t", NDPR_FLOOR,
                                            "paid at the floor price")},
        ],
        "scenarios": [
            {"scenario": "calm", "probability": _assumed(0.6, ""),
             "description": "No disruption: trade flows as in 2025."},
            {"scenario": "china_ban", "probability": _assumed(0.25, ""),
             "description": "China's suspended export controls return in 2027 as a ban on "
                            "gallium and NdPr exports (every route out of China here leads "
                            "to a zone member); NdPr prices jump for two years."},
            {"scenario": "cobalt_quota", "probability": _assumed(0.15, ""),
             "description": "The DRC's cobalt export quota binds in 2026 and 2027."},
        ],
        "disruptions": [
            {"scenario": "china_ban", "kind": "export", "region": "CN", "mineral": "gallium",
             "stage": "*", "destination": "*", "start_period": "2027",
             "factor": Figure(0, "share of capacity", f"{GA_CONTROLS} | {ASSUMPTION}",
                              "US-specific ban suspended to 2026-11-27; assumed to return "
                              "for every destination")},
            {"scenario": "china_ban", "kind": "export", "region": "CN", "mineral": "ndpr",
             "stage": "*", "destination": "*", "start_period": "2027",
             "factor": Figure(0, "share of capacity", f"{REE_CONTROLS} | {ASSUMPTION}",
                              "Oct 2025 package suspended to 2026-11-10; assumed to return "
                              "as a ban")},
            {"scenario": "china_ban", "kind": "price", "mineral": "ndpr", "stage": "refined",
             "start_period": "2027", "end_period": "2028",
             "factor": _assumed(1.5, "× market price")},
            {"scenario": "cobalt_quota", "kind": "export", "region": "CD", "mineral": "cobalt",
             "stage": "concentrate", "destination": "*", "start_period": "2026",
             "end_period": "2027",
             "factor": Figure(0.42, "share of capacity", f"{CO_QUOTA} | {CO_MINE}",
                              "quota up to 96,600 t/yr in 2026 and 2027 ÷ DRC mine "
                              "production 2025e 230,000 t")},
        ],
        "shortfall_tiers": [
            *_tiers("ndpr", (150_000, 300_000, 500_000)),
            *_tiers("gallium", (1_000_000, 2_000_000, 3_000_000)),
            *_tiers("cobalt", (60_000, 100_000, 150_000)),
        ],
    }


def _facilities() -> list[Record]:
    def facility(name: str, region: str, mineral: str, stage: str, capacity: Figure,
                 unit_cost: int, **more: object) -> Record:
        return {"facility": name, "region": region, "mineral": mineral, "stage": stage,
                "capacity_t": capacity,
                "unit_cost_per_t": _assumed(unit_cost, "USD/t", "operating cost"), **more}

    def expansion(expandable: int, capex: int, online: str) -> Record:
        return {"expandable_t": _assumed(expandable, "t/yr"),
                "capex_per_t": _assumed(capex, "USD per t/yr"),
                "lifetime_years": _assumed(20, "years"), "online_period": online}

    ndpr_yield = _assumed(NDPR_YIELD, "t/t", "separation recovery")
    return [
        facility("CN-NdPr-mine", "CN", "ndpr", "mine", _ree_mine("China", 270_000), 15_000),
        facility("US-NdPr-mine", "US", "ndpr", "mine", _ree_mine("US", 51_000), 25_000),
        facility("AU-NdPr-mine", "AU", "ndpr", "mine", _ree_mine("Australia", 29_000), 22_000),
        facility("CN-NdPr-refine", "CN", "ndpr", "refine", Figure(
            round(390_000 * 0.92 * NDPR_SHARE_OF_REO), "t/yr NdPr oxide",
            f"{REE_PROCESSING} | {REE_MINE}",
            "China 92% of processed rare earths × world mine production 2025e 390,000 t REO × "
            f"{NDPR_SHARE_OF_REO}"), 10_000, **{"yield": ndpr_yield}),
        facility("US-NdPr-refine", "US", "ndpr", "refine", Figure(
            round(8_900 * NDPR_SHARE_OF_REO), "t/yr NdPr oxide", REE_US_REFINED,
            f"US compounds and metals 2025e 8,900 t REO × {NDPR_SHARE_OF_REO}"), 20_000,
            **{"yield": ndpr_yield}, **expansion(5_000, 100_000, "2027")),
        facility("US-NdPr-recycle", "US", "ndpr", "recycle",
                 _assumed(200, "t/yr", "magnet recycling"), 40_000,
                 **expansion(1_000, 50_000, "2027")),
        facility("CN-Ga-primary", "CN", "gallium", "mine", Figure(
            900, "t/yr", GA_PRIMARY, "China primary low-purity gallium 2025e"), 150_000),
        facility("AU-Ga-primary", "AU", "gallium", "mine",
                 _assumed(0, "t/yr", "no primary gallium yet"), 250_000,
                 **expansion(100, 1_500_000, "2028")),
        facility("CN-Ga-refine", "CN", "gallium", "refine", Figure(
            900, "t/yr", GA_PRIMARY, "refines China's primary output"), 50_000),
        facility("CA-Ga-refine", "CA", "gallium", "refine", Figure(
            10, "t/yr", f"{GA_IMPORTS} | {ASSUMPTION}",
            "planning assumption; Canada supplied 28% of US gallium metal imports 2021-24"),
            80_000, **expansion(40, 300_000, "2028")),
        facility("US-Ga-recycle", "US", "gallium", "recycle",
                 _assumed(3, "t/yr", "scrap recovery"), 200_000),
        facility("CD-Co-mine", "CD", "cobalt", "mine", Figure(
            230_000, "t/yr", CO_MINE, "Congo (Kinshasa) mine production 2025e"), 12_000),
        facility("ID-Co-mine", "ID", "cobalt", "mine", Figure(
            44_000, "t/yr", CO_MINE, "Indonesia mine production 2025e"), 10_000),
        facility("AU-Co-mine", "AU", "cobalt", "mine", Figure(
            3_700, "t/yr", CO_MINE, "Australia mine production 2025e"), 18_000),
        facility("CA-Co-mine", "CA", "cobalt", "mine", Figure(
            3_500, "t/yr", CO_MINE, "Canada mine production 2025e"), 18_000),
        facility("US-Co-mine", "US", "cobalt", "mine", Figure(
            300, "t/yr", CO_MINE, "US mine production 2025e"), 22_000),
        facility("CN-Co-mine", "CN", "cobalt", "mine", Figure(
            2_000, "t/yr", CO_MINE, "China mine production 2025e"), 15_000),
        facility("CN-Co-refine", "CN", "cobalt", "refine", Figure(
            round(310_000 * 0.65, -2), "t/yr", f"{CO_PROCESSING} | {CO_MINE}",
            "China 65% of cobalt processing (2019) × world mine production 2025e 310,000 t"),
            4_000),
        facility("CD-Co-refine", "CD", "cobalt", "refine",
                 _assumed(10_000, "t/yr", "cathode made in the DRC"), 5_000),
        facility("CA-Co-refine", "CA", "cobalt", "refine", _assumed(5_000, "t/yr"), 6_000),
        facility("US-Co-refine", "US", "cobalt", "refine",
                 _assumed(0, "t/yr", "no refinery yet"), 7_000,
                 **expansion(5_000, 35_000, "2028")),
    ]


def _routes() -> list[Record]:
    def route(origin: str, destination: str, mineral: str, stage: str, cost: int,
              **more: object) -> Record:
        return {"origin": origin, "destination": destination, "mineral": mineral,
                "stage": stage, "cost_per_t": _assumed(cost, "USD/t", "freight and handling"),
                **more}

    return [
        route("AU", "US", "*", "*", 300),
        route("AU", "CN", "*", "concentrate", 150),
        route("AU", "CA", "gallium", "concentrate", 300),
        route("US", "CN", "ndpr", "concentrate", 200),
        route("CA", "US", "*", "refined", 100),
        route("CN", "US", "*", "refined", 250),
        route("CN", "CA", "gallium", "concentrate", 300),
        route("CD", "CN", "cobalt", "concentrate", 250),
        route("CD", "CA", "cobalt", "concentrate", 350,
              capacity_t=_assumed(10_000, "t/yr", "shipping contracts")),
        route("CD", "US", "cobalt", "refined", 350),
        route("ID", "CN", "cobalt", "concentrate", 120),
    ]


def _tiers(mineral: str, penalties: Sequence[int]) -> list[Record]:
    return [
        {"mineral": mineral, "up_to_share": _assumed(share, "share of demand"),
         "penalty_per_t": _assumed(penalty, "USD/t")}
        for share, penalty in zip((0.05, 0.25, 1), penalties, strict=True)
    ]


# ---------------------------------------------------------------- writing


def _source_key(sheet: str, record: Mapping[str, object]) -> str:
    """How the ``sources`` sheet names a record: its key, or its identifying columns."""
    spec = SHEETS_BY_NAME[sheet]
    names = [c.name for c in spec.keys] or {
        "offtakes": ["facility"],
        "disruptions": ["scenario", "kind", "region", "mineral", "stage"],
    }[sheet]
    return ", ".join(str(record.get(name) or "*") for name in names)


def split(case: Mapping[str, Sequence[Record]]) -> dict[str, list[Record]]:
    """Plain tables for the workbook, plus the ``sources`` sheet built from the figures.

    Every number must come as a :class:`Figure`, so none is left without a source.
    """
    plain: dict[str, list[Record]] = {}
    sources: list[Record] = []
    for sheet, records in case.items():
        plain[sheet] = []
        for record in records:
            row: Record = {}
            for column, value in record.items():
                if isinstance(value, Figure):
                    sources.append({
                        "sheet": sheet, "key": _source_key(sheet, record), "column": column,
                        "value": value.value, "unit": value.unit, "source": value.source,
                        "note": value.note,
                    })
                    value = value.value
                elif isinstance(value, int | float):
                    raise ValueError(f"{sheet}.{column}: a number without a source ({value})")
                row[column] = value
            plain[sheet].append(row)
    plain["sources"] = sources
    return plain


def build(path: Path) -> Path:
    """Write the example workbook to ``path``."""
    write_workbook(path, split(tables()))
    return path


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python data/build_example.py",
        description="Build the small example case, data/example.xlsx.")
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write it (default: %(default)s)")
    path = parser.parse_args(argv).output
    build(path)
    sys.stdout.write(f"{path}: example written.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
