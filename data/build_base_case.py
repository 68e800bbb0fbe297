"""Build ``data/base_case.xlsx``: the allied zone from public figures (the default case).

25 regions, 13 minerals, ten half-years (2026H1-2030H2), one aggregate mine and
refinery per region and mineral where production exists, Project Vault stockpiles, the
defence NdPr offtake and seven disruption scenarios. Every number is either a public
figure read from ``data/sources/*.csv`` (USGS Mineral Commodity Summaries 2026, IEA,
policy texts; each CSV row keeps its source) or a planning assumption from
:data:`ASSUMPTIONS`; the ``sources`` sheet says which, cell by cell.

Run ``python data/build_base_case.py [OUTPUT.xlsx]`` (default: ``base_case.xlsx`` beside
this script). The output depends only on this file and ``data/sources``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.workbook.contract import SHEETS_BY_NAME
from optimizer.workbook.template import write_workbook

if TYPE_CHECKING:
    from optimizer.pipeline import Outcome

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DEFAULT_OUTPUT = HERE / "base_case.xlsx"

Record = dict[str, object]

# ================================================================ figures and their sources


@dataclass(frozen=True, slots=True)
class Figure:
    """A cell value together with where it comes from (one row of the ``sources`` sheet)."""

    value: float | int | str
    unit: str
    source: str
    url: str
    derivation: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a CSV in ``data/sources``; ``line`` counts the header as line 1."""

    file: str
    line: int
    fields: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.fields[column]

    def number(self, column: str) -> float:
        return float(self.fields[column])

    def cite(self) -> str:
        return f"data/sources/{self.file} line {self.line}"

    def url(self) -> str:
        return first_url(self.fields.get("source", ""))


def first_url(text: str) -> str:
    found = re.search(r"https?://[^\s;,)]+", text)
    return found.group(0).rstrip(".") if found else ""


class PublicFigures:
    """The CSVs of ``data/sources``, read once, looked up by column values."""

    def __init__(self, folder: Path) -> None:
        self.rows: dict[str, list[Row]] = {}
        for path in sorted(folder.glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                self.rows[path.name] = [
                    Row(path.name, line, record)
                    for line, record in enumerate(csv.DictReader(handle), start=2)
                ]

    def find(self, file: str, **match: str) -> list[Row]:
        return [
            row for row in self.rows[file]
            if all(row.fields[column] == value for column, value in match.items())
        ]

    def one(self, file: str, **match: str) -> Row:
        found = self.find(file, **match)
        if len(found) != 1:
            raise LookupError(f"{file}: {len(found)} rows match {match}")
        return found[0]


def cited(rows: Iterable[Row]) -> tuple[str, str]:
    """The ``source`` and ``url`` cells for figures read from ``rows``."""
    rows = list(rows)
    files: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        files[row.file].append(row.line)
    source = "; ".join(
        f"data/sources/{file} line{'s' if len(lines) > 1 else ''} "
        + ", ".join(str(n) for n in sorted(set(lines)))
        for file, lines in files.items()
    )
    texts = [row.fields.get("source", "") for row in rows]
    origin = texts[0].split(";")[0] if texts else ""
    urls = list(dict.fromkeys(u for u in (first_url(t) for t in texts) if u))
    return f"{source} ({origin})" if origin else source, " ; ".join(urls[:3])


# ================================================================ planning assumptions


@dataclass(frozen=True, slots=True)
class Assumption:
    value: float
    unit: str
    why: str


ASSUMPTIONS: dict[str, Assumption] = {
    "utilisation": Assumption(
        0.85, "output / capacity",
        "Existing capacity = latest USGS production (2025e; copper 2024) / 0.85: facilities "
        "ran at 85% of capacity."),
    "ndpr_share_of_reo": Assumption(
        0.20, "t NdPr oxide / t REO",
        "NdPr oxide in mined rare-earth oxide (bastnaesite and ionic clays hold about a fifth "
        "NdPr); USGS reports mine output as total REO only."),
    "dytb_share_of_reo": Assumption(
        0.006, "t Dy+Tb oxide / t REO",
        "Dysprosium plus terbium oxide in mined rare-earth oxide, world average; USGS gives "
        "no heavy rare-earth split."),
    "ree_separation_yield": Assumption(
        0.95, "t / t", "Recovery of NdPr and Dy/Tb oxide in separation (refine yield)."),
    "dy_share_of_dytb": Assumption(
        0.8, "t Dy / t Dy+Tb",
        "Mass share of dysprosium in the Dy/Tb product, to weight the Dy and Tb oxide prices."),
    "germanium_world_t": Assumption(
        140.0, "t Ge / yr",
        "World germanium refinery output; USGS publishes none. Grown from 127 t in 2012 "
        "(Merchant Research, data/sources/additional.csv)."),
    "germanium_china_share": Assumption(
        0.60, "share", "China's share of germanium output (CRMA via Reuters, 2022)."),
    "us_consumption_weight": Assumption(
        0.08, "share of world demand",
        "US share of world demand where USGS publishes no US consumption (lithium, tungsten)."),
    "fold_share": Assumption(
        0.01, "share of world output",
        "A region making less than 1% of a mineral's world output at a stage (the US "
        "excepted) is counted in the other-members (XZ) or rest-of-world (XW) aggregate."),
    "mine_cost_share": Assumption(
        0.35, "× 2025 market price", "Mine operating cost per t of contained product."),
    "refine_cost_share": Assumption(
        0.15, "× 2025 market price", "Refining (separation, smelting) cost per t of output."),
    "recycle_cost_share": Assumption(
        0.45, "× 2025 market price", "Recycling cost per t of refined output."),
    "low_cost_factor": Assumption(
        0.85, "× cost",
        "Operating costs in China, Indonesia, Russia, Vietnam and Burma relative to others "
        "(energy, labour, environmental standards)."),
    "freight_same_group": Assumption(
        60.0, "USD/t", "Freight and handling within a continent, per t of contained product."),
    "freight_other_group": Assumption(
        120.0, "USD/t", "Freight and handling between continents, per t of contained product."),
    "tier1_share": Assumption(
        0.10, "share of demand", "First shortfall tier: the first 10% of demand unmet."),
    "tier1_price_multiple": Assumption(
        2.0, "× 2025 market price", "Penalty of the first shortfall tier."),
    "shortfall_price_multiple": Assumption(
        5.0, "× 2025 market price",
        "Penalty beyond the first tier (value of lost production); the minerals sheet's "
        "shortfall_penalty_per_t."),
    "holding_cost_share": Assumption(
        0.02, "× 2025 market price per yr", "Storage, insurance and handling of Vault stocks."),
    "vault_fill_years": Assumption(
        1.0, "years", "Vault buys at most its capacity per year (market impact of buying)."),
    "discount_rate": Assumption(0.05, "1/yr", "Real discount rate of the zone's planners."),
    "licence_factor": Assumption(
        0.30, "share of capacity",
        "Chinese Dy/Tb exports under tightened licensing: 30% of capacity."),
    "hree_price_factor": Assumption(
        1.5, "× market price", "Dy/Tb price while licensing is tightened."),
    "indonesia_export_factor": Assumption(
        0.50, "share of capacity",
        "Indonesian refined nickel exports under the restriction: half of capacity."),
    "dumping_price_factor": Assumption(
        0.60, "× market price", "Market prices during a price-dumping episode."),
    "p_calm": Assumption(0.40, "probability", "No disruption."),
    "p_china_hree_licensing": Assumption(0.15, "probability", "Heavy rare-earth licensing."),
    "p_china_gggs_ban": Assumption(0.12, "probability", "Ga, Ge, graphite, Sb ban."),
    "p_drc_cobalt_quota": Assumption(0.10, "probability", "DRC cobalt quota extension."),
    "p_indonesia_nickel": Assumption(0.08, "probability", "Indonesian nickel restriction."),
    "p_price_dumping": Assumption(0.10, "probability", "Price-dumping episode."),
    "p_combined_escalation": Assumption(0.05, "probability", "Combined escalation."),
    "expansion_lifetime_years": Assumption(20.0, "years", "Life of new capacity."),
    "time_limit_s": Assumption(120.0, "s", "Solver time limit."),
}


@dataclass(frozen=True, slots=True)
class Expansion:
    """Allied capacity the model may finance (planning assumptions after announced projects)."""

    region: str
    mineral: str
    stage: str
    expandable_t: float
    capex_per_t: float
    online_period: str
    project: str
    capex_words: str


EXPANSIONS: tuple[Expansion, ...] = (
    Expansion("US", "ndpr", "refine", 3_000, 60_000, "2027H2",
              "MP Materials separation expansion at Mountain Pass (DoD partnership, 2025)",
              "60,000 USD per t/yr of NdPr oxide, 18 months' lead time"),
    Expansion("AU", "ndpr", "refine", 5_000, 80_000, "2027H1",
              "Australian separation (Lynas Kalgoorlie, Iluka Eneabba)",
              "80,000 USD per t/yr, online from 2027"),
    Expansion("US", "dytb", "refine", 200, 750_000, "2027H1",
              "heavy rare-earth separation at Mountain Pass (150 million USD DoD loan, "
              "data/sources/additional.csv)", "150 million USD ÷ 200 t/yr"),
    Expansion("US", "ndpr", "recycle", 1_000, 50_000, "2027H1",
              "US magnet recycling", "50,000 USD per t/yr"),
    Expansion("AU", "gallium", "mine", 100, 1_500_000, "2028H1",
              "primary gallium at an Australian alumina refinery (US-Australia framework, "
              "2025)", "1.5 million USD per t/yr, three years' lead time"),
    Expansion("AU", "gallium", "refine", 100, 500_000, "2028H1",
              "high-purity gallium refining beside it", "0.5 million USD per t/yr"),
    Expansion("CA", "germanium", "refine", 20, 2_000_000, "2027H2",
              "germanium recovery at a Canadian zinc refinery", "2 million USD per t/yr"),
    Expansion("CA", "germanium", "mine", 20, 1_000_000, "2027H2",
              "germanium-bearing residues from Canadian zinc concentrates",
              "1 million USD per t/yr"),
    Expansion("US", "antimony", "mine", 15_000, 60_000, "2028H2",
              "Stibnite (Idaho) antimony", "60,000 USD per t/yr of Sb, 2.5 years' lead time"),
    Expansion("US", "antimony", "refine", 15_000, 20_000, "2027H2",
              "US antimony smelting", "20,000 USD per t/yr"),
    Expansion("CA", "graphite", "mine", 100_000, 5_000, "2028H1",
              "Quebec flake graphite", "5,000 USD per t/yr"),
    Expansion("CA", "graphite", "refine", 100_000, 15_000, "2028H1",
              "Quebec spherical graphite plant", "15,000 USD per t/yr"),
    Expansion("KR", "tungsten", "mine", 2_000, 100_000, "2026H2",
              "Sangdong tungsten mine (Korea)", "100,000 USD per t/yr of W"),
    Expansion("US", "tungsten", "refine", 2_000, 50_000, "2027H1",
              "US tungsten oxide plant", "50,000 USD per t/yr"),
    Expansion("CA", "cobalt", "refine", 5_000, 40_000, "2027H2",
              "Ontario cobalt sulphate refinery", "40,000 USD per t/yr"),
    Expansion("US", "lithium", "refine", 10_000, 120_000, "2027H1",
              "US lithium hydroxide refineries", "120,000 USD per t/yr of Li"),
)


def assumed(name: str, value: float | None = None, unit: str | None = None,
            derivation: str = "") -> Figure:
    """A figure that is (or follows by arithmetic from) a planning assumption."""
    a = ASSUMPTIONS[name]
    return Figure(
        a.value if value is None else value, a.unit if unit is None else unit,
        f"planning assumption: {name}", "", derivation or a.why,
    )


def A(name: str) -> float:  # noqa: N802 - reads as a symbol in the formulas below
    return ASSUMPTIONS[name].value


def tidy(value: float) -> float:
    """Round to 4 significant figures, so cells stay readable and exact across runs."""
    if value == 0:
        return 0.0
    return float(f"{value:.4g}")


# ================================================================ regions

EU27 = frozenset({
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Czechia",
    "Denmark", "Estonia", "Finland", "France", "Germany", "Greece", "Hungary", "Ireland",
    "Italy", "Latvia", "Lithuania", "Luxembourg", "Malta", "Netherlands", "Poland",
    "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden",
})

# (code, USGS country name or None for aggregates, name, group)
REGIONS: tuple[tuple[str, str | None, str, str], ...] = (
    ("US", "United States", "United States", "Americas"),
    ("CA", "Canada", "Canada", "Americas"),
    ("MX", "Mexico", "Mexico", "Americas"),
    ("BR", "Brazil", "Brazil", "Americas"),
    ("AR", "Argentina", "Argentina", "Americas"),
    ("PE", "Peru", "Peru", "Americas"),
    ("CL", "Chile", "Chile", "Americas"),
    ("EU", None, "European Union (27)", "Europe"),
    ("UK", "United Kingdom", "United Kingdom", "Europe"),
    ("RU", "Russia", "Russia", "Europe"),
    ("KZ", "Kazakhstan", "Kazakhstan", "Asia"),
    ("CN", "China", "China", "Asia"),
    ("JP", "Japan", "Japan", "Asia"),
    ("KR", "Korea, Republic of", "Korea, Republic of", "Asia"),
    ("IN", "India", "India", "Asia"),
    ("ID", "Indonesia", "Indonesia", "Asia"),
    ("PH", "Philippines", "Philippines", "Asia"),
    ("MY", "Malaysia", "Malaysia", "Asia"),
    ("VN", "Vietnam", "Vietnam", "Asia"),
    ("MM", "Burma", "Burma (Myanmar)", "Asia"),
    ("AU", "Australia", "Australia", "Oceania"),
    ("CD", "Congo (Kinshasa)", "Congo (Kinshasa)", "Africa"),
    ("ZA", "South Africa", "South Africa", "Africa"),
    ("XZ", None, "Other zone members (other ministerial attendees)", "Other"),
    ("XW", None, "Rest of world (other countries, non-members)", "Other"),
)
COUNTRY_REGION = {country: code for code, country, _, _ in REGIONS if country}
GROUP = {code: group for code, _, _, group in REGIONS}
LOW_COST = frozenset({"CN", "ID", "RU", "VN", "MM"})
ATTENDEE = "Critical Minerals Ministerial 2026 attendee"

# Regions that consume (demand rows) and their weights in world demand (planning
# assumption: a rough split of metal-intensive manufacturing, the same for all minerals).
# Demand of the smaller members (UK, Canada, Mexico, Brazil, ...) is counted in XZ.
CONSUMPTION_WEIGHTS: dict[str, float] = {
    "US": 0.08, "CN": 0.50, "EU": 0.12, "JP": 0.07, "KR": 0.05, "IN": 0.04,
    "XZ": 0.09, "XW": 0.05,
}


class Geography:
    """Country names of the USGS tables mapped to the case's regions (rule in the docs)."""

    def __init__(self, figures: PublicFigures) -> None:
        self.attendee_rows = {
            row["country"]: row
            for row in figures.find("partners.csv", group=ATTENDEE)
        }
        self.figures = figures

    def region_of(self, country: str) -> str:
        if country in COUNTRY_REGION:
            return COUNTRY_REGION[country]
        if country in EU27:
            return "EU"
        if country in self.attendee_rows:
            return "XZ"
        return "XW"  # "Other countries", non-attendees

    def is_member(self, code: str) -> bool:
        country = next(c for r, c, _, _ in REGIONS if r == code)
        return self.membership(code, country).value == "yes"

    def membership(self, code: str, country: str | None) -> Figure:
        rule = ("member rule: a region is in the zone when it (or, for the EU, the European "
                "Commission) attended the 2026-02-04 Critical Minerals Ministerial, the US as "
                "its host")
        if code == "US":
            row = self.figures.one("partners.csv", country="United States")
            return Figure("yes", "", *cited([row]), f"{rule}; host of the ministerial")
        if code == "EU":
            rows = [self.figures.one("partners.csv", country="European Commission"),
                    self.figures.one("partners.csv", country="European Union")]
            return Figure("yes", "", *cited(rows),
                          f"{rule}; the Commission attended and agreed a price-floor action "
                          "plan with the US")
        if code == "XZ":
            return Figure("yes", "", "definition: member rule over data/sources/partners.csv",
                          "", f"{rule}; aggregate of attendees the case does not name")
        if code == "XW":
            return Figure("no", "", "definition: member rule over data/sources/partners.csv", "",
                          f"{rule}; aggregate of non-attendees and USGS 'Other countries'")
        assert country is not None
        found = self.attendee_rows.get(country)
        if found is None:
            return Figure("no", "", "definition: member rule over data/sources/partners.csv", "",
                          f"{rule}; {country} is not on the attendee list")
        row = found
        extra = [r for r in self.figures.find("partners.csv", country=country) if r is not row]
        note = "; also " + "; ".join(r["group"] for r in extra) if extra else ""
        return Figure("yes", "", *cited([row, *extra]), f"{rule}{note}")


# ================================================================ minerals

@dataclass(frozen=True, slots=True)
class MineralSpec:
    mineral: str
    description: str
    usgs: tuple[str, ...]  # mineral names in mine_production.csv (summed)
    mine_year: str
    content: str | None  # assumption giving the product content of a t of mined output
    price: tuple[str, str]  # (prices_usd_per_t.csv mineral, form) of the refined product


MINERALS: tuple[MineralSpec, ...] = (
    MineralSpec("ndpr", "Light rare earths: NdPr oxide, t of oxide. Concentrate = NdPr oxide "
                "contained in mined rare-earth concentrate; refined = separated NdPr oxide.",
                ("rare_earths",), "2025", "ndpr_share_of_reo",
                ("rare_earths", "NdPr oxide 99% min, FOB (Argus)")),
    MineralSpec("dytb", "Heavy rare earths: dysprosium and terbium oxide, t of oxide. "
                "Concentrate = Dy/Tb oxide contained in mined concentrate; refined = separated "
                "Dy/Tb oxide.", ("rare_earths",), "2025", "dytb_share_of_reo",
                ("rare_earths", "Dysprosium oxide (99.5% min), FOB China")),
    MineralSpec("lithium", "Lithium, t of contained Li. Concentrate = mine output (spodumene, "
                "brine); refined = battery-grade chemicals (carbonate, hydroxide) as Li.",
                ("lithium",), "2025", None,
                ("lithium", "Battery-grade lithium carbonate, annual average (Benchmark "
                 "Mineral Intelligence)")),
    MineralSpec("cobalt", "Cobalt, t of contained Co. Concentrate = mine output (hydroxide, "
                "concentrates); refined = cobalt metal and chemicals.", ("cobalt",), "2025",
                None, ("cobalt", "LME cash")),
    MineralSpec("nickel", "Nickel, t of contained Ni. Concentrate = ore and concentrate; "
                "refined = class 1 and 2 nickel, intermediates (NPI, matte, MHP) as Ni.",
                ("nickel",), "2025", None, ("nickel", "LME cash, annual average")),
    MineralSpec("graphite", "Natural graphite, t gross weight. Concentrate = flake and "
                "amorphous concentrate; refined = purified and spherical graphite.",
                ("graphite_natural",), "2025", None,
                ("graphite_natural", "Flake, average unit value of US imports at foreign "
                 "ports")),
    MineralSpec("gallium", "Gallium, t Ga. Concentrate = primary low-purity gallium "
                "recovered at alumina refineries; refined = high-purity gallium metal.",
                (), "2025", None,
                ("gallium", "Average unit value of US imports of gallium metal "
                 "(HTS 8112.92.1000)")),
    MineralSpec("germanium", "Germanium, t Ge. Concentrate = germanium-bearing zinc residues "
                "and concentrates; refined = germanium metal and dioxide as Ge.", (), "2025",
                None, ("germanium", "Germanium metal, 99.999%, Europe annual average (Argus)")),
    MineralSpec("antimony", "Antimony, t of contained Sb. Concentrate = ore and concentrate; "
                "refined = antimony metal and trioxide as Sb.", ("antimony",), "2025", None,
                ("antimony", "Metal 99.65% min, CIF (Argus), annual average")),
    MineralSpec("tungsten", "Tungsten, t of contained W. Concentrate = wolframite and "
                "scheelite concentrate; refined = APT and tungsten oxides as W.",
                ("tungsten",), "2025", None,
                ("tungsten", "Concentrate, in-warehouse Rotterdam (Argus), per mtu WO3 "
                 "(7.93 kg W)")),
    MineralSpec("manganese", "Manganese, t of contained Mn. Concentrate = manganese ore; "
                "refined = ferroalloys, electrolytic metal and sulphate as Mn.",
                ("manganese",), "2025", None,
                ("manganese", "Metallurgical ore 44% Mn, CIF China (CRU), per mtu Mn "
                 "content")),
    MineralSpec("copper", "Copper, t of contained Cu. Concentrate = mine output "
                "(recoverable Cu); refined = refined copper cathode, primary and secondary.",
                ("copper",), "2024", None, ("copper", "LME grade A cash, annual average")),
    MineralSpec("pgm", "Platinum-group metals: platinum plus palladium, t of metal. "
                "Concentrate = PGM in mine concentrate and matte; refined = refined Pt and Pd.",
                ("palladium", "platinum"), "2025", None,
                ("palladium", "Engelhard unfabricated, annual average (Platts)")),
)
SPEC = {m.mineral: m for m in MINERALS}
REE = ("ndpr", "dytb")
PRICE_YEAR = "2025"
RESIDUAL = " (XW: USGS 'Other countries' and non-attendees, plus the rest of the world total)"
LI_PER_LI2CO3 = 2 * 6.94 / 73.89  # molar masses: Li content of lithium carbonate
LI_DEFINITION = "Li content of Li2CO3 = 2 × 6.94 / 73.89 = 0.188 (molar masses)"

# ================================================================ periods and scenarios

PERIODS = tuple(f"{year}H{half}" for year in range(2026, 2031) for half in (1, 2))
FIRST, LAST = PERIODS[0], PERIODS[-1]
SCENARIOS: tuple[tuple[str, str], ...] = (
    ("calm", "No disruption: 2025 trade patterns continue; the DRC cobalt quota does not "
             "bind."),
    ("china_hree_licensing",
     "China tightens licensing of heavy rare earths (Dy, Tb) from 2026H2 to 2028H1: exports "
     "of Dy/Tb concentrate and oxide fall to 30% of capacity and Dy/Tb prices rise 50%."),
    ("china_gggs_ban",
     "When the suspension of the US-specific ban lapses (2026-11-27), China bans exports of "
     "gallium, germanium, graphite and antimony to every zone member, 2027H1 to 2028H2."),
    ("drc_cobalt_quota",
     "The DRC enforces its cobalt export quota (96,600 t/yr incl. 9,600 t for reserves) from "
     "2026H1 and extends it to 2029H2."),
    ("indonesia_nickel",
     "Indonesia restricts exports of refined nickel and intermediates to half of capacity, "
     "2027H2 to 2029H1 (ore exports are banned since 2020 in every scenario)."),
    ("price_dumping",
     "A price-dumping episode, 2028H1 to 2029H2: market prices of every refined mineral fall "
     "to 60% of their 2025 level, below the zone's floors."),
    ("combined_escalation",
     "Escalation: heavy rare-earth licensing from 2026H2, the Ga/Ge/graphite/Sb ban from "
     "2027H1, the DRC quota from 2027H2 and the Indonesian restriction from 2028H1, all to "
     "the end of the horizon."),
)


# ================================================================ the case


class Case:
    """Derives every table of the case from the public figures and the assumptions."""

    def __init__(self, figures: PublicFigures) -> None:
        self.f = figures
        self.geo = Geography(figures)
        self.mine: dict[str, dict[str, tuple[float, list[Row], str]]] = {}
        self.refine: dict[str, dict[str, tuple[float, list[Row], str]]] = {}
        self.recycle: dict[str, dict[str, tuple[float, list[Row], str]]] = {}
        self.price: dict[str, Figure] = {}
        self.price_2024: dict[str, Figure] = {}
        for spec in MINERALS:
            self.mine[spec.mineral] = self._mine(spec)
            refine, recycle = self._refine(spec)
            self.refine[spec.mineral] = self._fold(refine)
            self.recycle[spec.mineral] = self._fold(recycle) if recycle else {}
            self.price[spec.mineral], self.price_2024[spec.mineral] = self._prices(spec)
        self.world_demand = {m.mineral: self._world_demand(m) for m in MINERALS}
        self.demand = {m.mineral: self._demand(m) for m in MINERALS}

    # ------------------------------------------------------------ production

    def _table(self, usgs: str, year: str, file: str = "mine_production.csv"
               ) -> tuple[dict[str, tuple[float, list[Row]]], Row]:
        """A USGS world table by region, with its world total row; the difference between
        the world total and the country rows (rounding, unlisted countries) goes to XW."""
        rows = [r for r in self.f.find(file, mineral=usgs, year=year)
                if not r["country"].startswith("World total")]
        world = next(r for r in self.f.find(file, mineral=usgs, year=year)
                     if r["country"].startswith("World total (rounded"))
        by_region: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            by_region[self.geo.region_of(row["country"])].append(row)
        table = {region: (sum(r.number("tonnes") for r in group), group)
                 for region, group in by_region.items()}
        residual = world.number("tonnes") - sum(value for value, _ in table.values())
        rest, rest_rows = table.get("XW", (0.0, []))
        if rest + residual > 0:
            table["XW"] = (rest + residual, [*rest_rows, world])
        return table, world

    def _fold(self, table: dict[str, tuple[float, list[Row], str]]
              ) -> dict[str, tuple[float, list[Row], str]]:
        """Small producers into the XZ or XW aggregate (``fold_share``)."""
        order = [r[0] for r in REGIONS]
        total = sum(v for v, _, _ in table.values())
        values: dict[str, float] = defaultdict(float)
        rows: dict[str, list[Row]] = defaultdict(list)
        words: dict[str, str] = {}
        for region in sorted(table, key=order.index):
            value, region_rows, region_words = table[region]
            target = region
            if region not in ("US", "XZ", "XW") and value < A("fold_share") * total:
                target = "XZ" if self.geo.is_member(region) else "XW"
                region_words = f"{region_words}, incl. producers under fold_share"
            values[target] += value
            rows[target].extend(region_rows)
            words.setdefault(target, region_words)
        return {r: (values[r], rows[r], words[r]) for r in sorted(values, key=order.index)}

    def _mine(self, spec: MineralSpec) -> dict[str, tuple[float, list[Row], str]]:
        """Mine output by region (t/yr of the mineral's product), with its rows and words."""
        return self._fold(self._mine_unfolded(spec))

    def _mine_unfolded(self, spec: MineralSpec) -> dict[str, tuple[float, list[Row], str]]:
        if spec.mineral == "gallium":
            table, _ = self._table("gallium", "2025", "refinery_production.csv")
            return {r: (v, rows, "primary low-purity gallium 2025e"
                        + (RESIDUAL if r == "XW" else ""))
                    for r, (v, rows) in table.items() if v > 0}
        if spec.mineral == "germanium":
            return {r: (v, rows, words) for r, (v, rows, words) in
                    self._germanium().items()}
        combined: dict[str, tuple[float, list[Row]]] = {}
        for usgs in spec.usgs:
            table, _ = self._table(usgs, spec.mine_year)
            for region, (value, rows) in table.items():
                old, old_rows = combined.get(region, (0.0, []))
                combined[region] = (old + value, [*old_rows, *rows])
        factor = A(spec.content) if spec.content else 1.0
        words = f"mine production {spec.mine_year}" + (
            "e" if spec.mine_year == "2025" else "")
        if spec.content:
            words += f" (t REO) × {factor} ({spec.content})"
        return {r: (v * factor, rows, words + (RESIDUAL if r == "XW" else ""))
                for r, (v, rows) in combined.items() if v > 0}

    def _germanium(self) -> dict[str, tuple[float, list[Row], str]]:
        world, china = A("germanium_world_t"), A("germanium_china_share")
        shares = self.f.find("us_import_sources.csv", mineral="germanium", category="combined")
        others = [r for r in shares if r["country"] != "China"]
        total = sum(r.number("share_pct") for r in others)
        result: dict[str, tuple[float, list[Row], str]] = {
            "CN": (world * china, [self.f.one("refining_share.csv",
                                              mineral="germanium_refined")],
                   f"germanium_world_t {world:g} × China share {china}")}
        for row in others:
            region = self.geo.region_of(row["country"])
            value, rows, _ = result.get(region, (0.0, [], ""))
            result[region] = (
                value + world * (1 - china) * row.number("share_pct") / total, [*rows, row],
                f"germanium_world_t {world:g} × (1 − {china}) split by the non-Chinese shares "
                "of US germanium imports 2021-24 (Belgium and Germany to EU, other to XW)")
        return result

    def _refine(self, spec: MineralSpec) -> tuple[dict[str, tuple[float, list[Row], str]],
                                                  dict[str, tuple[float, list[Row], str]]]:
        """Refined output by region (t/yr), and recycled output (copper only)."""
        m = spec.mineral
        mine = self.mine[m]
        yld = A("ree_separation_yield") if m in REE else 1.0
        world = sum(v for v, _, _ in mine.values()) * yld
        if m == "copper":
            return self._copper()
        if m in REE:
            processing = self.f.one("refining_share.csv", mineral="rare_earths_processing",
                                    country="China", year="2024")
            us_row = self.f.one("refinery_production.csv", mineral="rare_earths",
                                country="United States", year="2025")
            china = processing.number("share_pct") / 100 * world
            result = {"CN": (china, [processing], f"China {processing['share_pct']}% of "
                             f"processed rare earths (IEA 2024) × world {m} output")}
            if m == "ndpr":
                us = us_row.number("tonnes") * A("ndpr_share_of_reo")
                result["US"] = (us, [us_row], "US rare-earth compounds and metals produced "
                                f"2025e {us_row['tonnes']} t REO × ndpr_share_of_reo")
                rest_words = "world NdPr output − China − US (Malaysia: Lynas, the main "
            else:
                us = 0.0
                rest_words = "world Dy/Tb output − China (Malaysia: Lynas, the main "
            malaysia = self.f.one("refining_share.csv", mineral="rare_earths_processing",
                                  country="Malaysia")
            result["MY"] = (world - china - us, [processing, malaysia],
                            rest_words + "separator outside China; IEA 2019 share 12%)")
            return result, {}
        if m in ("gallium", "germanium", "antimony", "tungsten", "manganese", "pgm"):
            return ({r: (v * yld, rows, f"refined where mined: {words}")
                     for r, (v, rows, words) in mine.items()}, {})
        shares: dict[str, tuple[float, list[Row]]] = {}
        basis = world
        basis_words = f"world {m} mine output"
        if m == "nickel":
            ban = self.f.one("additional.csv", item="indonesia_nickel_ore_export_ban")
            ind, ind_rows, _ = mine["ID"]
            shares["ID"] = (ind, [*ind_rows, ban])
            basis = world - ind
            basis_words = "mine output outside Indonesia"
        key = {"lithium": "lithium_processing", "cobalt": "cobalt_processing",
               "nickel": "nickel_processing", "graphite": "graphite_battery_grade"}[m]
        listed = self.f.find("refining_share.csv", mineral=key)
        for row in listed:
            region = self.geo.region_of(row["country"])
            if region == "ID":
                continue  # Indonesia refines its own ore (the ore export ban)
            value, rows = shares.get(region, (0.0, []))
            shares[region] = (value + row.number("share_pct") / 100 * basis, [*rows, row])
        rest = world - sum(v for v, _ in shares.values())
        others = {r: v for r, (v, _, _) in mine.items() if r not in shares}
        result = {
            region: (value, rows, (
                "own mine output (nickel ore export ban since 2020)" if region == "ID"
                else f"{', '.join(r['share_pct'] + '% ' + r['country'] for r in rows)} of "
                f"{basis_words} ({listed[0]['year']} shares)"))
            for region, (value, rows) in shares.items()
        }
        for region, value in others.items():
            if rest > 0:
                result[region] = (rest * value / sum(others.values()), mine[region][1],
                                  "refined where mined: the output the listed refiners do "
                                  "not take, pro rata to mine output")
        return result, {}

    def _copper(self) -> tuple[dict[str, tuple[float, list[Row], str]],
                               dict[str, tuple[float, list[Row], str]]]:
        table, world = self._table("copper", "2024", "refinery_production.csv")
        mine_world = next(r for r in self.f.find("mine_production.csv", mineral="copper",
                                                 year="2024")
                          if r["country"] == "World total (rounded)")
        primary = mine_world.number("tonnes") / world.number("tonnes")
        words = (f"refined copper 2024 × primary share {primary:.3f} (world mine "
                 f"{mine_world['tonnes']} t ÷ world refined {world['tonnes']} t)")
        refine = {r: (v * primary, [*rows, mine_world, world],
                      words + (RESIDUAL if r == "XW" else ""))
                  for r, (v, rows) in table.items() if v > 0}
        recycle = {r: (v * (1 - primary), [*rows, mine_world, world],
                       words.replace("primary share", "secondary share 1 −"))
                   for r, (v, rows) in table.items() if v > 0}
        return refine, recycle

    # ------------------------------------------------------------ prices

    def _prices(self, spec: MineralSpec) -> tuple[Figure, Figure]:
        """2025 market price and the 2024 price of the refined product, USD/t."""
        m = spec.mineral
        if m == "dytb":
            dy = self.f.one("prices_usd_per_t.csv", mineral="rare_earths",
                            form="Dysprosium oxide (99.5% min), FOB China", year="2024")
            tb = self.f.one("prices_usd_per_t.csv", mineral="rare_earths",
                            form="Terbium oxide (99.99% min), FOB China", year="2024")
            share = A("dy_share_of_dytb")
            value = tidy(share * dy.number("usd") + (1 - share) * tb.number("usd"))
            words = (f"{share} × Dy oxide {dy['usd']} + {1 - share:.1f} × Tb oxide "
                     f"{tb['usd']} USD/t (2024, MCS 2025; no 2025 price published)")
            figure = Figure(value, "USD/t Dy/Tb oxide", *cited([dy, tb]), words)
            return figure, figure
        if m == "pgm":
            out: list[Figure] = []
            weights = {
                metal: self.f.one("mine_production.csv", mineral=metal,
                                  country="World total (rounded)", year="2025")
                for metal in ("palladium", "platinum")
            }
            total = sum(w.number("tonnes") for w in weights.values())
            for year in (PRICE_YEAR, "2024"):
                rows = {metal: self.f.one("prices_usd_per_t.csv", mineral=metal,
                                          form="Engelhard unfabricated, annual average "
                                               "(Platts)", year=year)
                        for metal in weights}
                value = tidy(sum(rows[k].number("usd") * weights[k].number("tonnes")
                                 for k in weights) / total)
                words = (f"Pd {rows['palladium']['usd']} and Pt {rows['platinum']['usd']} "
                         f"USD/t ({year}) weighted by 2025e world mine output (Pd "
                         f"{weights['palladium']['tonnes']} t, Pt "
                         f"{weights['platinum']['tonnes']} t)")
                out.append(Figure(value, "USD/t Pt+Pd", *cited([*rows.values(),
                                                                 *weights.values()]), words))
            return out[0], out[1]
        usgs, form = spec.price
        figures = []
        for year in (PRICE_YEAR, "2024"):
            row = self.f.one("prices_usd_per_t.csv", mineral=usgs, form=form, year=year)
            value, words = row.number("usd"), f"{form}, {year}: {row['usd']} {row['unit']}"
            if m == "lithium":
                value /= LI_PER_LI2CO3
                words += f" ÷ {LI_PER_LI2CO3:.4f} ({LI_DEFINITION})"
            figures.append(Figure(tidy(value), "USD/t", *cited([row]), words))
        return figures[0], figures[1]

    def market(self, mineral: str) -> float:
        return float(self.price[mineral].value)

    # ------------------------------------------------------------ demand

    def _world_demand(self, spec: MineralSpec) -> tuple[float, str, list[Row]]:
        """World demand (t/yr): the published world demand where one exists and is below
        world refined output, else world refined output (a balanced market)."""
        m = spec.mineral
        output = sum(v for v, _, _ in self.refine[m].values()) + sum(
            v for v, _, _ in self.recycle[m].values())
        published = {
            "lithium": ("demand.csv", {"mineral": "lithium", "metric": "world consumption",
                                       "year": "2025"}),
            "cobalt": ("demand.csv", {"mineral": "cobalt", "metric": "total demand",
                                      "year": "2023"}),
            "nickel": ("demand.csv", {"mineral": "nickel", "metric": "total demand",
                                      "year": "2023"}),
            "copper": ("demand.csv", {"mineral": "copper", "metric": "world refined usage",
                                      "year": "2024"}),
            "ndpr": ("demand.csv", {"mineral": "rare_earths (magnet REEs)",
                                    "metric": "total demand", "year": "2023"}),
        }.get(m)
        if published is not None:
            row = self.f.one(published[0], **published[1])
            if row.number("value") <= output:
                return row.number("value"), (
                    f"published world demand {row['value']} {row['unit']} ({row['year']}), "
                    f"below world refined output {output:,.0f} t"), [row]
            return output, (
                f"world refined output {output:,.0f} t (the published {row['metric']} "
                f"{row['value']} t, {row['year']}, is above what existing capacity makes)"), [row]
        return output, f"world refined output {output:,.0f} t (balanced market)", []

    def _us_demand(self, spec: MineralSpec) -> tuple[float, str, list[Row]] | None:
        m = spec.mineral
        metric = {
            "cobalt": "US apparent consumption", "nickel": "US apparent consumption (total "
            "incl. scrap)", "gallium": "US reported consumption",
            "antimony": "US apparent consumption",
            "manganese": "US apparent consumption (Mn content)",
            "copper": "US apparent consumption (refined + old scrap)",
        }
        if m in REE:
            row = self.f.one("demand.csv", mineral="rare_earths",
                             metric="US apparent consumption, compounds & metals")
            share = A(SPEC[m].content or "")
            return row.number("value") * share, (
                f"US apparent consumption of rare-earth compounds and metals 2025e "
                f"{row['value']} t REO × {share} ({SPEC[m].content})"), [row]
        if m == "graphite":
            row = self.f.one("demand.csv", mineral="graphite_natural")
            return row.number("value"), f"US apparent consumption 2025e {row['value']} t", [row]
        if m == "pgm":
            rows = [self.f.one("demand.csv", mineral=x) for x in ("palladium", "platinum")]
            return sum(r.number("value") for r in rows), (
                f"US apparent consumption 2025e Pd {rows[0]['value']} t + Pt {rows[1]['value']} "
                "t (includes investment and stock changes)"), rows
        if m == "germanium":
            row = self.f.one("additional.csv", item="germanium_us_consumption")
            return row.number("value"), (
                f"US estimated consumption {row['value']} t (2019, latest published)"), [row]
        if m in metric:
            row = self.f.one("demand.csv", mineral=m, metric=metric[m])
            return row.number("value"), f"{row['metric']} {row['year']}e {row['value']} t", [row]
        return None

    def _demand(self, spec: MineralSpec) -> dict[str, Figure]:
        m = spec.mineral
        world, world_words, world_rows = self.world_demand[m]
        us = self._us_demand(spec)
        result: dict[str, Figure] = {}
        weights = dict(CONSUMPTION_WEIGHTS)
        if us is not None:
            value, words, rows = us
            result["US"] = Figure(tidy(value), "t/yr", *cited(rows), words)
            del weights["US"]
            rest = world - value
        else:
            rest = world
        total = sum(weights.values())
        world_source, world_url = cited(world_rows) if world_rows else ("", "")
        for region, weight in weights.items():
            share = weight / total
            basis = (f"(world demand − US) × {share:.4f}" if us is not None
                     else f"world demand × {share:.4f}")
            source = "planning assumption: CONSUMPTION_WEIGHTS"
            if region == "US":
                source = "planning assumption: us_consumption_weight"
            if world_source:
                source = f"{source}; {world_source}"
            result[region] = Figure(
                tidy(rest * share), "t/yr", source, world_url,
                f"{basis}; consumption weight {weight} of the region (normalised over "
                f"{'regions other than the US' if us is not None else 'all demand regions'}); "
                f"world demand = {world_words}")
        return result

    # ------------------------------------------------------------ tables

    def regions(self) -> list[Record]:
        return [
            {"region": code, "zone_member": self.geo.membership(code, country),
             "name": name, "group": group}
            for code, country, name, group in REGIONS
        ]

    def members(self) -> set[str]:
        return {str(r["region"]) for r in self.regions()
                if isinstance(r["zone_member"], Figure) and r["zone_member"].value == "yes"}

    def minerals(self) -> list[Record]:
        records = []
        for spec in MINERALS:
            price = self.price[spec.mineral]
            records.append({
                "mineral": spec.mineral,
                "shortfall_penalty_per_t": Figure(
                    tidy(A("shortfall_price_multiple") * self.market(spec.mineral)), "USD/t",
                    "planning assumption: shortfall_price_multiple", price.url,
                    f"{A('shortfall_price_multiple'):g} × market price {price.value} USD/t "
                    f"({price.derivation})"),
                "description": spec.description,
            })
        return records

    def periods(self) -> list[Record]:
        return [{"period": p, "years": Figure(0.5, "years", "definition: half-year periods",
                                              "", "2026H1 to 2030H2, six months each")}
                for p in PERIODS]

    def _cost(self, mineral: str, region: str, share_name: str) -> Figure:
        factor = A("low_cost_factor") if region in LOW_COST else 1.0
        value = tidy(A(share_name) * factor * self.market(mineral))
        words = f"{A(share_name)} ({share_name}) × market price {self.price[mineral].value}"
        if factor != 1.0:
            words += f" × {factor} (low_cost_factor)"
        return Figure(value, "USD/t", f"planning assumption: {share_name}",
                      self.price[mineral].url, words + " USD/t")

    def facilities(self) -> list[Record]:
        records: dict[str, Record] = {}
        utilisation = A("utilisation")
        for spec in MINERALS:
            m = spec.mineral
            stages = (("mine", self.mine[m], "mine_cost_share"),
                      ("refine", self.refine[m], "refine_cost_share"),
                      ("recycle", self.recycle[m], "recycle_cost_share"))
            for stage, table, cost in stages:
                for region in sorted(table, key=[r[0] for r in REGIONS].index):
                    value, rows, words = table[region]
                    name = f"{region}-{m}-{stage}"
                    record: Record = {
                        "facility": name, "region": region, "mineral": m, "stage": stage,
                        "capacity_t": Figure(
                            tidy(value / utilisation), "t/yr", *cited(rows),
                            f"{words}: {value:,.1f} t/yr ÷ utilisation {utilisation}"),
                        "unit_cost_per_t": self._cost(m, region, cost),
                    }
                    if stage == "refine":
                        record["yield"] = (assumed("ree_separation_yield") if m in REE else
                                           Figure(1, "t/t", "definition: content basis", "",
                                                  "mine and refined output counted as the "
                                                  "same contained product"))
                    records[name] = record
        for expansion in EXPANSIONS:
            name = f"{expansion.region}-{expansion.mineral}-{expansion.stage}"
            if name in records:
                record = records[name]
            else:
                record = {
                    "facility": name, "region": expansion.region, "mineral": expansion.mineral,
                    "stage": expansion.stage,
                    "capacity_t": Figure(0, "t/yr", "definition: new facility", "",
                                         "no existing capacity: " + expansion.project),
                    "unit_cost_per_t": self._cost(expansion.mineral, expansion.region, {
                        "mine": "mine_cost_share", "refine": "refine_cost_share",
                        "recycle": "recycle_cost_share"}[expansion.stage]),
                }
                if expansion.stage == "refine":
                    record["yield"] = (assumed("ree_separation_yield")
                                       if expansion.mineral in REE else
                                       Figure(1, "t/t", "definition: content basis", "",
                                              "same contained product"))
                records[name] = record
            source = "planning assumption: EXPANSIONS"
            record["expandable_t"] = Figure(expansion.expandable_t, "t/yr", source, "",
                                            f"{expansion.project}: size")
            record["capex_per_t"] = Figure(expansion.capex_per_t, "USD per t/yr", source, "",
                                           f"{expansion.project}: {expansion.capex_words}")
            record["lifetime_years"] = assumed("expansion_lifetime_years")
            record["online_period"] = expansion.online_period
        return list(records.values())

    def _capacity(self, mineral: str, stage: str) -> dict[str, float]:
        """Existing plus expandable capacity by region (t/yr of output)."""
        table = {"mine": self.mine, "refine": self.refine, "recycle": self.recycle}[stage]
        capacity: dict[str, float] = defaultdict(float)
        for region, (value, _, _) in table[mineral].items():
            capacity[region] += value / A("utilisation")
        for e in EXPANSIONS:
            if e.mineral == mineral and e.stage == stage:
                capacity[e.region] += e.expandable_t
        return capacity

    def routes(self) -> list[Record]:
        """Concentrate from regions that mine more than their refineries use to regions
        whose refineries need more than their mines give; refined product from regions
        that make more than they use to every other consuming region. One row per pair
        and mineral, ``*`` for the stage where a pair carries both."""
        carried: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set))
        for spec in MINERALS:
            m = spec.mineral
            yld = A("ree_separation_yield") if m in REE else 1.0
            mined = self._capacity(m, "mine")
            needed = {r: v / yld for r, v in self._capacity(m, "refine").items()}
            made = self._capacity(m, "refine")
            for region, value in self._capacity(m, "recycle").items():
                made[region] += value
            demand = {r: float(f.value) for r, f in self.demand[m].items()}
            exporters = {r for r in mined if mined[r] > needed.get(r, 0.0)}
            importers = {r for r in needed if needed[r] > mined.get(r, 0.0)}
            if m == "nickel":
                exporters.discard("ID")  # the ore export ban of 2020
            for origin in exporters:
                for destination in importers - {origin}:
                    carried[origin, destination][m].add("concentrate")
            for origin in (r for r in made if made[r] > demand.get(r, 0.0)):
                for destination in set(demand) - {origin}:
                    carried[origin, destination][m].add("refined")
        order = [r[0] for r in REGIONS]
        mineral_order = [m.mineral for m in MINERALS]
        records: list[Record] = []
        for origin, destination in sorted(carried, key=lambda p: (order.index(p[0]),
                                                                  order.index(p[1]))):
            same = GROUP[origin] == GROUP[destination] and GROUP[origin] != "Other"
            name = "freight_same_group" if same else "freight_other_group"
            for m in sorted(carried[origin, destination], key=mineral_order.index):
                stages = carried[origin, destination][m]
                record: Record = {
                    "origin": origin, "destination": destination, "mineral": m,
                    "stage": "*" if len(stages) == 2 else next(iter(stages)),
                    "cost_per_t": assumed(name, derivation=(
                        f"{ASSUMPTIONS[name].why} ({GROUP[origin]} to {GROUP[destination]})")),
                }
                tariff = self._tariff(origin, destination, m)
                if tariff is not None:
                    record["tariff_per_t"] = tariff
                records.append(record)
        return records

    def _tariff(self, origin: str, destination: str, mineral: str) -> Figure | None:
        if (origin, destination) != ("CN", "US"):
            return None
        item = {"cobalt": "section301_cobalt_tungsten_manganese",
                "tungsten": "section301_cobalt_tungsten_manganese",
                "manganese": "section301_cobalt_tungsten_manganese",
                "graphite": "section301_natural_graphite"}.get(mineral)
        if item is None:
            return None
        row = self.f.one("additional.csv", item=item)
        rate = row.number("value") / 100
        return Figure(tidy(rate * self.market(mineral)), "USD/t", *cited([row]),
                      f"Section 301 tariff {row['value']}% × market price "
                      f"{self.price[mineral].value} USD/t")

    def demand_rows(self) -> list[Record]:
        order = [r[0] for r in REGIONS]
        return [
            {"region": region, "mineral": spec.mineral, "period": "*",
             "demand_t": self.demand[spec.mineral][region]}
            for spec in MINERALS
            for region in sorted(self.demand[spec.mineral], key=order.index)
        ]

    def prices(self) -> list[Record]:
        floor_row = self.f.one("additional.csv", item="ndpr_floor_price")
        records = []
        for spec in MINERALS:
            m = spec.mineral
            market, old = self.price[m], self.price_2024[m]
            if m == "ndpr":
                floor = Figure(floor_row.number("value") * 1000, "USD/t", *cited([floor_row]),
                               f"{floor_row['value']} USD/kg × 1,000 kg/t: the 2025 US defence "
                               "offtake floor for NdPr")
            else:
                higher = max(float(market.value), float(old.value))
                floor = Figure(higher, "USD/t", f"floor rule; {market.source}", market.url,
                               f"floor rule: the higher of the 2024 ({old.value}) and 2025 "
                               f"({market.value}) USD/t prices, the zone's reference price")
            records.append({"mineral": m, "stage": "refined", "period": "*",
                            "market_price_per_t": market, "floor_price_per_t": floor})
        return records

    def stockpiles(self) -> list[Record]:
        vault = self.f.one("stockpile.csv", item="Target cover")
        days = vault.number("value")
        records = []
        for spec in MINERALS:
            m = spec.mineral
            us = self.demand[m]["US"]
            cover = tidy(float(us.value) * days / 365)
            size = Figure(cover, "t", *cited([vault]),
                          f"Project Vault {days:g}-day cover × US demand {us.value} t/yr ÷ 365 "
                          f"(US demand: {us.derivation})")
            records.append({
                "stockpile": f"vault-{m}", "region": "US", "mineral": m, "stage": "refined",
                "capacity_t": size,
                "initial_t": Figure(0, "t", "definition: a new reserve", "",
                                    "Project Vault announced 2026-02-02 starts empty"),
                "terminal_min_t": Figure(cover, "t", *cited([vault]),
                                         "the 60-day target is met at the end of 2030"),
                "max_purchase_t": assumed(
                    "vault_fill_years", tidy(cover / A("vault_fill_years")), "t/yr",
                    f"capacity {cover} t ÷ vault_fill_years {A('vault_fill_years'):g}"),
                "holding_cost_per_t": assumed(
                    "holding_cost_share", tidy(A("holding_cost_share") * self.market(m)),
                    "USD/t/yr", f"{A('holding_cost_share')} × market price "
                    f"{self.price[m].value} USD/t"),
                "release_needs_disruption": Figure(
                    "yes", "", *cited([vault]),
                    "an emergency reserve: releases only while a disruption of the mineral "
                    "is active"),
            })
        return records

    def offtakes(self) -> list[Record]:
        floor = self.f.one("additional.csv", item="ndpr_floor_price")
        us_row = self.f.one("refinery_production.csv", mineral="rare_earths",
                            country="United States", year="2025")
        contract = tidy(us_row.number("tonnes") * A("ndpr_share_of_reo"))
        return [{
            "facility": "US-ndpr-refine", "start_period": FIRST, "end_period": LAST,
            "contract_t": Figure(contract, "t/yr", *cited([us_row, floor]),
                                 f"all US NdPr output is covered (floor on volumes 'sold or "
                                 f"stockpiled'): US compounds 2025e {us_row['tonnes']} t REO × "
                                 "ndpr_share_of_reo"),
            "contract_price_per_t": Figure(floor.number("value") * 1000, "USD/t",
                                           *cited([floor]), "the 110 USD/kg floor, per t"),
        }]

    def scenarios(self) -> list[Record]:
        return [{"scenario": name, "probability": assumed(f"p_{name}"),
                 "description": text} for name, text in SCENARIOS]

    def disruptions(self) -> list[Record]:
        controls = self.f.find("export_controls.csv", country="China")
        hree = next(r for r in controls if r["mineral"].startswith("rare_earths (Sm"))
        us_ban = next(r for r in self.f.find("export_controls.csv",
                                             country="China (to United States)")
                      if r["mineral"].startswith("gallium"))
        drc = self.f.one("export_controls.csv", mineral="cobalt")
        ban = self.f.one("additional.csv", item="indonesia_nickel_ore_export_ban")
        members = self.members()

        def hree_rows(scenario: str, end: str) -> list[Record]:
            return [
                {"scenario": scenario, "kind": "export", "region": "CN", "mineral": "dytb",
                 "stage": "*", "destination": "*", "start_period": "2026H2",
                 "end_period": end,
                 "factor": Figure(A("licence_factor"), "share of capacity", *cited([hree]),
                                  "licences for Dy/Tb in force since 2025-04-04; "
                                  "licence_factor (planning assumption) when tightened")},
                {"scenario": scenario, "kind": "price", "mineral": "dytb", "stage": "refined",
                 "start_period": "2026H2", "end_period": end,
                 "factor": assumed("hree_price_factor")},
            ]

        routes = self.routes()

        def gggs_rows(scenario: str, end: str) -> list[Record]:
            rows: list[Record] = []
            for m in ("gallium", "germanium", "graphite", "antimony"):
                # no re-export of Chinese material through other non-members: their exports
                # to anyone stay within what they make themselves (factor 1)
                transit = sorted({
                    str(r["origin"]) for r in routes
                    if r["mineral"] == m and r["stage"] in ("refined", "*")
                    and r["origin"] not in members and r["origin"] != "CN"
                    and r["destination"] in members
                }, key=[x[0] for x in REGIONS].index)
                for region in transit:
                    rows.append({
                        "scenario": scenario, "kind": "export", "region": region,
                        "mineral": m, "stage": "refined", "destination": "*",
                        "start_period": "2027H1", "end_period": end,
                        "factor": Figure(1, "share of capacity",
                                         "definition: rule of origin", "",
                                         "anti-circumvention: while China's ban holds, a "
                                         "non-member exports at most its own refined "
                                         "capacity, so Chinese material cannot be re-exported "
                                         "to the zone through it"),
                    })
                for destination in sorted(set(self.demand[m]) & members,
                                          key=[r[0] for r in REGIONS].index):
                    rows.append({
                        "scenario": scenario, "kind": "export", "region": "CN",
                        "mineral": m, "stage": "*", "destination": destination,
                        "start_period": "2027H1", "end_period": end,
                        "factor": Figure(0, "share of capacity", *cited([us_ban]),
                                         "the US-specific ban (suspended to 2026-11-27) "
                                         "returns and is widened to every zone member"),
                    })
            return rows

        found = re.search(r"up to ([\d,]+) t/yr .* incl\. ([\d,]+) t for national",
                          drc["measure"])
        assert found, "the DRC quota row no longer says 'up to N t/yr ... incl. M t'"
        quota, reserve = (float(x.replace(",", "")) for x in found.groups())

        def drc_rows(scenario: str, start: str, end: str) -> list[Record]:
            exportable = quota - reserve
            capacity = (self.mine["cobalt"]["CD"][0]
                        + self.refine["cobalt"]["CD"][0]) / A("utilisation")
            factor = tidy(exportable / capacity)
            return [{"scenario": scenario, "kind": "export", "region": "CD",
                     "mineral": "cobalt", "stage": "*", "destination": "*",
                     "start_period": start, "end_period": end,
                     "factor": Figure(factor, "share of capacity", *cited([drc]),
                                      f"(quota {quota:,.0f} − {reserve:,.0f} t for national "
                                      "reserves) t/yr ÷ DRC cobalt mine and "
                                      f"refinery capacity {capacity:,.0f} t/yr, the same share "
                                      "for concentrate and refined exports")}]

        def nickel_rows(scenario: str, start: str, end: str) -> list[Record]:
            return [{"scenario": scenario, "kind": "export", "region": "ID",
                     "mineral": "nickel", "stage": "refined", "destination": "*",
                     "start_period": start, "end_period": end,
                     "factor": assumed("indonesia_export_factor", derivation=(
                         f"{ASSUMPTIONS['indonesia_export_factor'].why} Ore: {ban.cite()}"))}]

        dumping: list[Record] = [{
            "scenario": "price_dumping", "kind": "price", "mineral": "*", "stage": "refined",
            "start_period": "2028H1", "end_period": "2029H2",
            "factor": assumed("dumping_price_factor")}]
        return [
            *hree_rows("china_hree_licensing", "2028H1"),
            *gggs_rows("china_gggs_ban", "2028H2"),
            *drc_rows("drc_cobalt_quota", FIRST, "2029H2"),
            *nickel_rows("indonesia_nickel", "2027H2", "2029H1"),
            *dumping,
            *hree_rows("combined_escalation", LAST),
            *gggs_rows("combined_escalation", LAST),
            *drc_rows("combined_escalation", "2027H2", LAST),
            *nickel_rows("combined_escalation", "2028H1", LAST),
        ]

    def shortfall_tiers(self) -> list[Record]:
        records: list[Record] = []
        for spec in MINERALS:
            price = self.price[spec.mineral]
            for share, multiple in ((A("tier1_share"), "tier1_price_multiple"),
                                    (1.0, "shortfall_price_multiple")):
                records.append({
                    "mineral": spec.mineral,
                    "up_to_share": (assumed("tier1_share") if share < 1 else
                                    Figure(1, "share of demand", "definition: last tier", "",
                                           "the rest of demand")),
                    "penalty_per_t": Figure(
                        tidy(A(multiple) * self.market(spec.mineral)), "USD/t",
                        f"planning assumption: {multiple}", price.url,
                        f"{A(multiple):g} × market price {price.value} USD/t"),
                })
        return records

    def settings(self) -> list[Record]:
        loan = self.f.one("stockpile.csv", item="EXIM direct loan")
        private = self.f.one("stockpile.csv", item="Private capital")
        return [
            {"key": "currency", "value": "USD"},
            {"key": "discount_rate", "value": assumed("discount_rate")},
            {"key": "risk_weight", "value": Figure(0, "", "definition: expected cost", "",
                                                   "risk-neutral planning (no CVaR term)")},
            {"key": "stockpile_budget", "value": Figure(
                loan.number("value") + private.number("value"), "USD",
                *cited([loan, private]),
                "Project Vault: 10 bn USD EXIM loan + 1.67 bn USD private capital")},
            {"key": "zone_exclusive", "value": "no"},
            {"key": "time_limit_s", "value": assumed("time_limit_s")},
        ]

    def tables(self) -> dict[str, list[Record]]:
        return {
            "settings": self.settings(),
            "regions": self.regions(),
            "minerals": self.minerals(),
            "periods": self.periods(),
            "facilities": self.facilities(),
            "routes": self.routes(),
            "demand": self.demand_rows(),
            "prices": self.prices(),
            "stockpiles": self.stockpiles(),
            "offtakes": self.offtakes(),
            "scenarios": self.scenarios(),
            "disruptions": self.disruptions(),
            "shortfall_tiers": self.shortfall_tiers(),
        }


# ================================================================ writing

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "offtakes": ("facility", "start_period"),
    "disruptions": ("scenario", "kind", "region", "mineral", "stage", "destination",
                    "start_period"),
}
SOURCE_COLUMNS = ("sheet", "key", "column", "value", "unit", "source", "url", "derivation")


def source_key(sheet: str, record: Mapping[str, object]) -> str:
    """How the ``sources`` sheet names a record: its key columns (blank as ``*``)."""
    names = KEY_COLUMNS.get(sheet) or tuple(c.name for c in SHEETS_BY_NAME[sheet].keys)
    return ", ".join(_plain(record.get(name)) or "*" for name in names)


def _plain(value: object) -> str:
    if isinstance(value, Figure):
        value = value.value
    return "" if value is None else str(value)


def split(case: Mapping[str, Sequence[Record]]) -> dict[str, list[Record]]:
    """Plain tables for the workbook plus the ``sources`` sheet; every number must come as
    a :class:`Figure`, so none is left without a source."""
    plain: dict[str, list[Record]] = {}
    sources: list[Record] = []
    for sheet, records in case.items():
        plain[sheet] = []
        keys = [source_key(sheet, record) for record in records]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{sheet}: two records share a sources key")
        for record, key in zip(records, keys, strict=True):
            row: Record = {}
            for column, value in record.items():
                if isinstance(value, Figure):
                    sources.append(dict(zip(SOURCE_COLUMNS, (
                        sheet, key, column, value.value, value.unit, value.source, value.url,
                        value.derivation), strict=True)))
                    value = value.value
                elif isinstance(value, int | float):
                    raise ValueError(f"{sheet}.{column}: a number without a source ({value})")
                row[column] = value
            plain[sheet].append(row)
    plain["sources"] = sources
    return plain


def tables() -> dict[str, list[Record]]:
    """Every sheet of the case, numbers as :class:`Figure` with their sources."""
    return Case(PublicFigures(SOURCES)).tables()


def build(path: Path) -> Path:
    """Write the base case to ``path``."""
    write_workbook(path, split(tables()))
    return path


# ================================================================ headline results


@dataclass(frozen=True, slots=True)
class Headlines:
    """What docs/base_case.md reports from a solved run of the case (and the tests pin)."""

    status: str
    objective: float
    size: tuple[int, int]  # variables, constraints
    nodes: int
    expected_cost: dict[str, float]  # component -> USD, expected and discounted
    scenario_cost: dict[str, dict[str, float]]  # scenario -> component -> USD
    shortfall_t: dict[str, dict[str, float]]  # scenario -> mineral -> t over the horizon
    builds: dict[str, float]  # facility -> t/yr
    vault_capacity_t: dict[str, float]  # mineral -> t
    vault_days: dict[str, float]  # mineral -> days of US demand at capacity
    calm_levels: dict[str, list[float]]  # mineral -> level at the end of each period
    cover_at_start: dict[str, dict[str, float]]  # scenario -> mineral -> days of cover
    vault_spend: dict[str, float]  # scenario -> USD spent on purchases (market prices)
    gap_per_t: dict[str, tuple[float, float]]  # mineral -> (calm gap, dumping gap) USD/t
    border_by_mineral: dict[str, float]  # mineral -> expected discounted USD paid
    non_member_share: dict[str, dict[str, float]]  # scenario -> mineral -> share


def headlines(o: Outcome) -> Headlines:
    """Headline figures of a solved run (an :class:`optimizer.pipeline.Outcome`), read
    from the optimizer's own results tables and accounting, never recomputed here."""
    from optimizer.results import Provenance, collect

    data, derived = o.data, o.derived
    tree = derived.tree
    results = collect(o, Provenance(DEFAULT_OUTPUT.name, "", 0.0))
    accounts = results.accounts
    scenario_cost = {
        str(s): {**{c: float(v) for c, v in row.items() if c != "total_cost"},
                 "total": float(row["total_cost"])}
        for s, row in accounts.scenario_costs.iterrows()
    }
    expected = {**{c: float(v) for c, v in accounts.expected_costs.items()},
                "total": float(accounts.expected_costs.sum())}

    short = results.by_scenario("shortfalls")
    by_mineral = short.groupby(["scenario", "mineral"], sort=False)["shortfall_t"].sum()
    shortfall_t = {s.scenario: {str(m): float(v) for (sc, m), v in by_mineral.items()
                                if sc == s.scenario and v > 0.5} for s in data.scenarios}

    stock = results.by_scenario("stockpiles")
    us_demand = {d.mineral: d.demand_t for d in data.demand
                 if d.region == "US" and d.period == data.periods[0].period}
    vault = {s.mineral: s for s in data.stockpiles}
    level = stock.set_index(["stockpile", "scenario", "period"])["level_t"]
    periods = [p.period for p in data.periods]
    calm_levels = {m: [float(level[s.stockpile, "calm", t]) for t in periods]
                   for m, s in vault.items()}
    order = {p: i for i, p in enumerate(periods)}
    cover_at_start: dict[str, dict[str, float]] = {}
    for s in data.scenarios:
        rows = [r for r in data.disruptions if r.scenario == s.scenario and r.kind != "price"]
        starts: dict[str, int] = {}
        for row in rows:
            for m in ([row.mineral] if row.mineral else list(vault)):
                starts[m] = min(starts.get(m, 99), order[row.start_period])
        cover_at_start[s.scenario] = {
            m: (vault[m].initial_t if t == 0
                else float(level[vault[m].stockpile, s.scenario, periods[t - 1]]))
            / (us_demand[m] / 365)
            for m, t in starts.items()
        }
    spend = stock.groupby("scenario", sort=False)["spend"].sum()
    vault_spend = {s.scenario: float(spend.get(s.scenario, 0.0)) for s in data.scenarios}

    calm_node = tree.paths["calm"][0]
    dumping_node = tree.paths["price_dumping"][order["2028H1"]]
    gap: dict[str, tuple[float, float]] = {}
    for mi in data.minerals:
        floor = derived.floor_price.get((mi.mineral, "refined", 0))
        if floor is None:
            continue
        calm_price = derived.market_price[mi.mineral, "refined", calm_node]
        dumping_price = derived.market_price[mi.mineral, "refined", dumping_node]
        gap[mi.mineral] = (max(0.0, floor - calm_price), max(0.0, floor - dumping_price))
    paid = accounts.border_by_region
    weighted = paid["border_floor_gap"] * accounts.tree.weight[paid["node"].to_numpy()]
    border = {str(m): float(v) for m, v in weighted.groupby(paid["mineral"]).sum().items()}

    supply = results.by_scenario("dependence").groupby(["scenario", "mineral"], sort=False)[
        ["from_members_t", "from_non_members_t"]].sum()
    share = {
        s.scenario: {
            m.mineral: (lambda ours, theirs: theirs / (ours + theirs) if ours + theirs else 0.0)(
                *supply.loc[(s.scenario, m.mineral)].tolist())
            for m in data.minerals
        }
        for s in data.scenarios
    }
    built = results.sheets["expansions"]

    return Headlines(
        status=o.solution.status,
        objective=float(o.solution.objective or 0.0),
        size=o.lp.size,
        nodes=len(tree.nodes),
        expected_cost=expected,
        scenario_cost=scenario_cost,
        shortfall_t=shortfall_t,
        builds={str(f): float(v) for f, v in zip(built["facility"], built["built_t"],
                                                 strict=True) if v > 1e-6},
        vault_capacity_t={m: s.capacity_t for m, s in vault.items()},
        vault_days={m: s.capacity_t / (us_demand[m] / 365) for m, s in vault.items()},
        calm_levels=calm_levels,
        cover_at_start=cover_at_start,
        vault_spend=vault_spend,
        gap_per_t=gap,
        border_by_mineral=border,
        non_member_share=share,
    )


def solve_case(path: Path) -> Outcome:
    """Load and solve a case workbook; the :class:`optimizer.pipeline.Outcome`."""
    from optimizer.pipeline import optimize
    from optimizer.solve.highs import SolverOptions
    from optimizer.workbook.validation import load

    data, _ = load(path)
    return optimize(data, SolverOptions())


def headline_markdown(h: Headlines) -> str:
    """The headline tables of docs/base_case.md."""
    bn = 1e9
    mineral_order = [m.mineral for m in MINERALS]
    periods = list(PERIODS)
    out = [f"status {h.status}; objective {h.objective:,.0f} USD; {h.size[0]:,} variables, "
           f"{h.size[1]:,} constraints; {h.nodes} tree nodes.", ""]
    out += ["| cost component (bn USD, discounted) | expected | "
            + " | ".join(h.scenario_cost) + " |",
            "|---|" + "---:|" * (len(h.scenario_cost) + 1)]
    for component in h.expected_cost:
        out.append(f"| {component} | {h.expected_cost[component] / bn:,.2f} | " + " | ".join(
            f"{h.scenario_cost[s][component] / bn:,.2f}" for s in h.scenario_cost) + " |")
    out += ["", "| scenario | shortfall by mineral, t over 2026-2030 | Vault purchases, "
            "bn USD |", "|---|---|---:|"]
    for s, minerals in h.shortfall_t.items():
        text = ", ".join(f"{m} {minerals[m]:,.0f}" for m in sorted(
            minerals, key=mineral_order.index)) or "none"
        out.append(f"| {s} | {text} | {h.vault_spend[s] / bn:,.2f} |")
    out += ["", "| mineral | Vault t (60 days) | calm fill: level at end of "
            + ", ".join(p for p in periods) + " (t) |", "|---|---:|---|"]
    for m in mineral_order:
        levels = ", ".join(f"{v:,.0f}" if v >= 10 else f"{max(v, 0.0) + 0.0:.1f}"
                           for v in h.calm_levels[m])
        out.append(f"| {m} | {h.vault_capacity_t[m]:,.1f} | {levels} |")
    out += ["", "| scenario | days of US demand in the Vault when the disruption starts |",
            "|---|---|"]
    for s, cover in h.cover_at_start.items():
        if cover:
            days = [f"{m} {max(cover[m], 0.0) + 0.0:.0f}"
                    for m in sorted(cover, key=mineral_order.index)]
            out.append(f"| {s} | {', '.join(days)} |")
    out += ["", "| facility | built, t/yr |", "|---|---:|"]
    out += [f"| {f} | {v:,.1f} |" for f, v in h.builds.items()]
    out += ["", "| mineral | floor − market, calm (USD/t) | floor − market, dumping (USD/t) "
            "| expected price-gap support paid (m USD) |", "|---|---:|---:|---:|"]
    for m in mineral_order:
        calm, dump = h.gap_per_t.get(m, (0.0, 0.0))
        out.append(f"| {m} | {calm:,.0f} | {dump:,.0f} | "
                   f"{h.border_by_mineral.get(m, 0.0) / 1e6:,.1f} |")
    scenarios = list(h.non_member_share)
    out += ["", "| non-member share of zone refined supply, 2026-2030 | "
            + " | ".join(scenarios) + " |",
            "|---|" + "---:|" * len(scenarios)]
    for m in mineral_order:
        out.append(f"| {m} | " + " | ".join(
            f"{100 * h.non_member_share[s][m]:.0f}%" for s in scenarios) + " |")
    return "\n".join(out)


RULES: dict[str, str] = {
    "periods": "Ten half-years 2026H1-2030H2 (years = 0.5); capacities, demand and rates are "
               "per year, as the contract says.",
    "member_rule": "A region is a zone member when it attended the 2026-02-04 Critical "
                   "Minerals Ministerial (the EU: the European Commission, which also agreed a "
                   "price-floor action plan); the US hosted it. Attendance is not membership "
                   "in law and no member list is published, so this is the case's reading.",
    "region_rule": "USGS country rows map to 23 named regions, EU-27 members to EU, other "
                   "attendees to XZ; other countries, USGS 'Other countries' and the "
                   "difference to the USGS world total to XW, so world totals match USGS.",
    "refining_rule": "Refinery capacity from USGS refinery tables where they exist (copper, "
                     "gallium); else processing shares of world output (rare earths: China 92% "
                     "(IEA 2024), the US its USGS output, Malaysia the rest; lithium, cobalt, "
                     "nickel: IEA 2019 shares; graphite: China 90% (IEA)), the rest refined "
                     "where mined pro rata; antimony, tungsten, manganese, PGM, gallium and "
                     "germanium refined where mined.",
    "nickel_rule": "Indonesia refines all its ore (ore export ban since 2020: no concentrate "
                   "route out); the IEA shares of China and Japan apply to mine output outside "
                   "Indonesia.",
    "copper_rule": "Refined copper (2024) splits into primary refining, which needs "
                   "concentrate, and recycling in the world ratio of mine to refined output "
                   "(23.0 / 27.6 Mt).",
    "demand_rule": "World demand: the published world figure (USGS lithium consumption 2025, "
                   "IEA cobalt and nickel demand 2023, ICSG refined copper usage 2024) where it "
                   "is below world refined output, else world refined output; flat over "
                   "2026-2030. US demand: USGS apparent consumption 2025e (rare earths × "
                   "content shares; germanium 2019); the rest split by CONSUMPTION_WEIGHTS.",
    "price_rule": "Market price: the USGS 2025 annual average (Dy/Tb: 2024) in USD per t of "
                  "the refined product, all periods; lithium per t Li; PGM the Pd and Pt "
                  "prices weighted by 2025 mine output.",
    "floor_rule": "NdPr: 110 USD/kg, the 2025 US defence offtake floor. Other minerals: the "
                  "higher of the USGS 2024 and 2025 prices, so floors bind where prices fell "
                  "in 2025 and in a dumping episode.",
    "route_rule": "Concentrate moves from regions mining more than their refineries need to "
                  "regions needing more; refined product from regions making more than they "
                  "use to every consuming region. Freight by continent pair; Section 301 "
                  "tariffs (25% of the 2025 price) on Chinese cobalt, tungsten, manganese and "
                  "graphite into the US.",
    "vault_rule": "One Project Vault stockpile per mineral in the US: capacity and end-2030 "
                  "target = 60 days of US demand; starts empty; releases only while a "
                  "disruption of its mineral is active; budget 11.67 bn USD.",
    "offtake_rule": "All US NdPr separation output of 2025e (8,900 t REO × 0.2 = 1,780 t/yr) "
                    "is bought at 110,000 USD/t take-or-pay, 2026H1-2030H2.",
    "drc_rule": "DRC quota: (96,600 − 9,600 t for reserves) ÷ DRC cobalt mine and refinery "
                "capacity, the same share capping concentrate and refined exports.",
    "transit_rule": "While China's Ga/Ge/graphite/Sb ban holds, other non-members export at "
                    "most their own refined capacity: no re-export of Chinese material.",
}


def assumption_table() -> str:
    """Every rule and planning assumption of the case as one Markdown table."""
    lines = ["| kind | name | value | unit | what and why |", "|---|---|---|---|---|"]
    lines += [f"| rule | `{name}` | | | {text} |" for name, text in RULES.items()]
    lines += [f"| number | `{name}` | {a.value:g} | {a.unit} | {a.why} |"
              for name, a in ASSUMPTIONS.items()]
    notes = {"US": "; used for the US only where USGS gives no US figure",
             "XZ": "; includes the UK, Canada, Mexico, Brazil and other members"}
    lines += [f"| weight | `CONSUMPTION_WEIGHTS[{region}]` | {weight:g} | share of world "
              "demand | Rough split of metal-intensive manufacturing, all minerals alike"
              f"{notes.get(region, '')} |" for region, weight in CONSUMPTION_WEIGHTS.items()]
    lines += [f"| expansion | `{e.region}-{e.mineral}-{e.stage}` | {e.expandable_t:,.0f} | "
              f"t/yr | {e.project}: {e.capex_words}; capex {e.capex_per_t:,.0f} USD per t/yr, "
              f"online {e.online_period} |" for e in EXPANSIONS]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "--assumptions":
        sys.stdout.write(assumption_table() + "\n")
        return 0
    if argv and argv[0] == "--headlines":
        case = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
        sys.stdout.write(headline_markdown(headlines(solve_case(case))) + "\n")
        return 0
    path = Path(argv[0]) if argv else DEFAULT_OUTPUT
    build(path)
    sys.stdout.write(f"{path}: base case written.\n")
    return 0



if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
