"""Planning assumptions (named numbers and rules) and the expansion projects."""

from __future__ import annotations

from dataclasses import dataclass

from base_case.figures import Figure
from base_case.geography import CONSUMPTION_WEIGHTS

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
    "dytb_share_light_ore": Assumption(
        0.002, "t Dy+Tb oxide / t REO",
        "Dysprosium plus terbium oxide in mined rare-earth oxide of light-rare-earth ores "
        "(bastnaesite, monazite, carbonatite: Bayan Obo, Mountain Pass, Mount Weld and the "
        "rest of the world outside the ionic clays of southern China and Burma): a fifth of "
        "their heavy rare earths, which are about 1% of the oxide at Mountain Pass "
        "(Molycorp 2012, data/sources/additional.csv); the sources give no Dy/Tb assay by "
        "deposit. The ionic-clay share then follows from China's Dy and Tb oxide output "
        "(SMM, June 2024) and its feed (dytb_rule)."),
    "ree_separation_yield": Assumption(
        0.95, "t / t", "Recovery of NdPr and Dy/Tb oxide in separation (refine yield)."),
    "china_vat": Assumption(
        0.13, "share of the net price",
        "China's value-added tax on goods, included in SMM's domestic yuan spot prices "
        "(the SiMn price of refined manganese is taken net of it, as USGS prices are)."),
    "germanium_world_t": Assumption(
        140.0, "t Ge / yr",
        "World germanium refinery output; USGS publishes none. Grown from 127 t in 2012 "
        "(Merchant Research, data/sources/additional.csv)."),
    "germanium_china_share": Assumption(
        0.60, "share", "China's share of germanium output (CRMA via Reuters, 2022)."),
    "us_consumption_weight": Assumption(
        0.08, "share of world demand",
        "US share of world demand where USGS publishes no US consumption (lithium, tungsten)."),
    "graphite_cobalt_growth": Assumption(
        0.5, "growth of total demand 2024-2030",
        "The IEA's stated-policies growth of graphite and cobalt demand 2024-2030 is "
        "published as one range, 50-75% (data/sources/additional.csv); the case takes its "
        "low end for both: graphite demand only doubles 2024-2040 (GCMO 2025; +30% by 2030 "
        "at a constant rate), and cobalt's 2025 output already runs 44% above the IEA's demand. "
        "Graphite's growth is the batteries': it applies to spherical graphite, and "
        "industrial graphite stays flat."),
    "committed_capacity": Assumption(
        1.0, "× world demand ÷ 2025 world refined output",
        "Committed and announced projects, online each January, keep every region's mine, "
        "refinery and recycling capacity of a growing mineral in step with world demand "
        "once demand passes the world's 2025 refined output: capacity in year Y = 2025 "
        "capacity × max(1, world demand in Y ÷ 2025 world refined output), at the region's "
        "cost-curve position, so the market keeps its 2025 margin and geography. The IEA "
        "finds announced projects cover stated-policies demand for nickel, cobalt and rare "
        "earths in 2035, sees no volume risk for graphite and dates the copper and lithium "
        "gaps to 2035 (GCMO 2025, data/sources/additional.csv): no shortfall before 2030 "
        "comes from missing capacity. Expandable at capex 0 (docs/model.md §5), it is not "
        "the zone's expansion finance."),
    "fold_share": Assumption(
        0.01, "share of world output",
        "A region making less than 1% of a mineral's world output at a stage (the US "
        "excepted) is counted in the other-members (XZ) or rest-of-world (XW) aggregate."),
    "cost_quartile_1": Assumption(
        0.55, "× 2025 market price",
        "Cash cost of a first-quartile producer (mine plus refining, per t of refined "
        "product): the bottom of the industry cost curve."),
    "cost_quartile_2": Assumption(
        0.70, "× 2025 market price", "Cash cost of a second-quartile producer."),
    "cost_quartile_3": Assumption(
        0.80, "× 2025 market price",
        "Cash cost of a third-quartile producer; the default position of a region "
        "COST_QUARTILES does not name."),
    "cost_quartile_4": Assumption(
        0.90, "× 2025 market price",
        "Cash cost of a fourth-quartile producer: still covered by the 2025 price, "
        "which is set near the 90th percentile of the cost curve."),
    "refine_part_of_cost": Assumption(
        0.25, "share of the chain's cash cost",
        "Refining's part of the mine-to-refined cash cost (the mine's part is the rest); "
        "recycling bears the whole chain cost."),
    "spare_cost_share": Assumption(
        0.95, "× 2025 market price (chain)",
        "Cash cost of restarting the 15% of capacity idle in 2025 (capacity − output): "
        "it stood idle because the 2025 price barely paid for it (the top of the cost "
        "curve, 95% of the price); it runs only when the market needs more than 2025's "
        "output, and then sets the price."),
    "freight_same_group": Assumption(
        60.0, "USD/t", "Freight and handling within a continent, per t of contained product."),
    "freight_other_group": Assumption(
        120.0, "USD/t", "Freight and handling between continents, per t of contained product."),
    "tier1_share": Assumption(
        0.10, "share of demand", "First shortfall tier: the first 10% of demand unmet."),
    "tier1_price_multiple": Assumption(
        2.0, "× 2025 market price",
        "Value of lost load, first tier (the first 10% of demand unmet): what buyers pay "
        "to cover it by spot premiums, substitutes and drawing their own stocks."),
    "shortfall_price_multiple": Assumption(
        5.0, "× 2025 market price",
        "Value of lost load beyond the first tier: output lost downstream (an essential "
        "input is a small part of its product's value); the minerals sheet's "
        "shortfall_penalty_per_t. Both tiers scale with the price, so every mineral's "
        "shortage weighs the same relative to its market."),
    "holding_cost_share": Assumption(
        0.02, "× 2025 market price per yr", "Storage, insurance and handling of Vault stocks."),
    "vault_high_share": Assumption(
        0.75, "China's share of world refined output",
        "A mineral China refines three quarters or more of is most critical: its licensing "
        "is in force and no other refiner could replace it within the horizon."),
    "vault_mid_share": Assumption(
        0.50, "China's share of world refined output", "Half or more: critical."),
    "vault_cover_high": Assumption(
        3.0, "× the 60-day target",
        "Most critical minerals: 180 days, the time allied refining needs to ramp up."),
    "vault_cover_mid": Assumption(1.5, "× the 60-day target", "Critical minerals: 90 days."),
    "vault_cover_low": Assumption(
        0.5, "× the 60-day target",
        "Diversified minerals (China refines under half): 30 days; allied and other "
        "refiners can replace a lost supplier."),
    "vault_fill_years": Assumption(
        1.0, "years", "Vault buys at most its capacity per year (market impact of buying)."),
    "discount_rate": Assumption(0.05, "1/yr", "Real discount rate of the zone's planners."),
    "licensing_export_factor": Assumption(
        0.50, "share of capacity",
        "China's exports of licensed products (Ga, Ge, graphite, Sb, W, Dy/Tb) under the "
        "licensing regimes in force: at most half of its capacity. Licences are granted "
        "case by case and the sources publish no effect on volumes; half of capacity is "
        "above what China exports in the calm scenario (its own demand is half the "
        "world's), so the cap stops surges and re-routing, not 2025's trade, which the "
        "2025 prices already reflect."),
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
    "outage_capacity_factor": Assumption(
        0.50, "× capacity",
        "South African PGM mine capacity during a major outage: half, as deep Bushveld "
        "shafts stop under power rationing or flooding."),
    "defence_surge_factor": Assumption(
        1.5, "× US demand",
        "US demand for munitions and magnet minerals during a defence surge: half as much "
        "again, as US antimony consumption rose 57% in 2025 (45,000 t against 28,600 t)."),
    "p_calm": Assumption(
        0.33, "probability",
        "Today's policy holds: the most likely single path, but under half, as export "
        "restrictions were tightened every year 2023-2025."),
    "p_china_rare_earth_controls": Assumption(
        0.15, "probability",
        "The suspended October 2025 package has a fixed expiry (2026-11-10) and was "
        "suspended, not withdrawn."),
    "p_china_gggs_ban": Assumption(
        0.12, "probability",
        "The US-specific ban was in force for a year before its suspension to 2026-11-27."),
    "p_drc_cobalt_quota": Assumption(
        0.10, "probability",
        "The DRC moved from a ban to quotas within 2025 and reserves the right to extend "
        "them."),
    "p_indonesia_nickel": Assumption(
        0.07, "probability",
        "Indonesia has extended its ore ban to processed products before; no refined "
        "restriction is announced."),
    "p_price_dumping": Assumption(
        0.08, "probability",
        "Price collapses in NdPr, lithium, flake and spherical graphite and nickel recurred "
        "2023-2025."),
    "p_strait_closure": Assumption(
        0.03, "probability", "A blockade of China's sea lanes: rare, but the costliest path."),
    "p_south_africa_pgm_outage": Assumption(
        0.04, "probability",
        "Power rationing cut South African mine output repeatedly in 2022-2023."),
    "p_defence_surge": Assumption(
        0.03, "probability",
        "A sustained surge in US defence procurement, as in 2025's munitions build-up."),
    "p_combined_escalation": Assumption(
        0.05, "probability", "Every restriction at once: the tail the Vault exists for."),
    "expansion_lifetime_years": Assumption(20.0, "years", "Life of new capacity."),
    "time_limit_s": Assumption(120.0, "s", "Solver time limit."),
    "defence_share_ndpr": Assumption(
        0.10, "share of US NdPr demand",
        "Defence's share of US NdPr (magnet) demand, which only certified product may meet "
        "from 2027 (DFARS 225.7018). Not published: the National Defense Stockpile's FY2025 "
        "potential acquisitions of rare earths alone are 1,100 t gross weight "
        "(data/sources/stockpile.csv), about 4% of US rare-earth consumption (27,000 t REO) "
        "before contractors' own magnet purchases; a tenth is the case's reading."),
    "defence_share_tungsten": Assumption(
        0.30, "share of US tungsten demand",
        "Defence's share of US tungsten demand (tungsten heavy alloy, powder), certified "
        "only from 2027 (DFARS 225.7018). Not published: the National Defense Stockpile's "
        "FY2025 potential acquisitions of tungsten, 2,041 t (data/sources/stockpile.csv), "
        "are 30% of the case's US demand (6,800 t/yr); taken as defence's share."),
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
    Expansion("CA", "spherical_graphite", "mine", 100_000, 5_000, "2028H1",
              "Quebec flake graphite for anodes (feeds the spherical graphite plant)",
              "5,000 USD per t/yr of flake"),
    Expansion("CA", "spherical_graphite", "refine", 50_000, 15_000, "2028H1",
              "Quebec spherical graphite plant, sized to the mine's 100,000 t/yr of flake × "
              "the spheronisation yield (0.493), rounded", "15,000 USD per t/yr of SPG"),
    Expansion("KR", "tungsten", "mine", 2_000, 100_000, "2026H2",
              "Sangdong tungsten mine (Korea)", "100,000 USD per t/yr of W"),
    Expansion("US", "tungsten", "refine", 2_000, 50_000, "2027H1",
              "US tungsten oxide plant", "50,000 USD per t/yr"),
    Expansion("CA", "cobalt", "refine", 5_000, 40_000, "2027H2",
              "Ontario cobalt sulphate refinery", "40,000 USD per t/yr"),
    Expansion("US", "lithium", "refine", 10_000, 120_000, "2027H1",
              "US lithium hydroxide refineries", "120,000 USD per t/yr of Li"),
)


# Position of a region's existing output on the industry cost curve, by mineral and
# stage (planning assumption after the published structure of each industry; the sources
# publish no cost curves). Unnamed regions sit at the mineral's "*" position, else in the
# third quartile (cost_quartile_3).
# The order matters where the 2025 market was in surplus (lithium, cobalt, nickel):
# the highest-cost output idles first, as it did in 2024-2025.
COST_QUARTILES: dict[tuple[str, str], dict[str, tuple[int, str]]] = {
    ("lithium", "mine"): {
        "CL": (1, "Atacama brine, evaporation: the lowest-cost lithium"),
        "AR": (2, "Puna brines"),
        "AU": (3, "spodumene concentrate, shipped for conversion"),
        "CN": (4, "lepidolite and Qinghai brine, the top of the curve: lepidolite mines "
                  "halted when prices fell in 2025"),
    },
    ("graphite", "mine"): {
        "*": (2, "flake concentrate from open pits; China's Heilongjiang mines set the "
                 "price"),
    },
    ("spherical_graphite", "mine"): {
        "*": (2, "flake concentrate from open pits, the same mines as industrial flake"),
    },
    ("manganese", "mine"): {
        "ZA": (1, "Kalahari manganese field: the largest, lowest-cost ores"),
        "*": (2, "large open-pit ore mines (Gabon, Australia, Ghana, Brazil, India)"),
    },
    ("nickel", "mine"): {
        "ID": (1, "laterite for NPI and HPAL in Sulawesi and Halmahera: the bottom of the "
                  "curve since 2022"),
        "RU": (1, "Norilsk: nickel with PGM and copper by-products"),
        "PH": (2, "saprolite and limonite ore"),
        "AU": (4, "Western Australian sulphides: BHP suspended Nickel West in October 2024"),
    },
    ("nickel", "refine"): {
        "ID": (1, "NPI and HPAL integrated with the mines"),
    },
    ("ndpr", "refine"): {
        "MY": (2, "Lynas Malaysia: the largest separation plant outside China, since 2012"),
    },
    ("dytb", "refine"): {
        "MY": (2, "Lynas Malaysia: the largest separation plant outside China, since 2012"),
    },
    ("copper", "mine"): {
        "CD": (1, "high-grade Katanga oxide and sulphide ores"),
        "CL": (2, "large porphyry mines"),
    },
    ("pgm", "mine"): {
        "RU": (1, "Norilsk: palladium as a by-product of nickel"),
        "ZA": (2, "Bushveld platinum mines"),
        "US": (4, "Stillwater, curtailed in 2024 at low palladium prices"),
    },
    ("ndpr", "mine"): {
        "CN": (1, "Bayan Obo (an iron-ore by-product) and ionic clays"),
        "MM": (1, "ionic-clay mines"),
    },
    ("dytb", "mine"): {
        "CN": (1, "ionic clays, the main heavy rare-earth source"),
        "MM": (1, "ionic-clay mines"),
    },
}


def quartile(mineral: str, stage: str, region: str) -> tuple[int, str]:
    """A region's cost quartile for a mineral and stage, and why (COST_QUARTILES)."""
    positions = COST_QUARTILES.get((mineral, stage), {})
    return positions.get(region, positions.get(
        "*", (3, "no published position: the third quartile by default")))


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
                     "(IEA 2024), the US its USGS output, Malaysia the rest; lithium: China "
                     "70% (IEA 2024), Chile and Argentina the rest in their 2019 proportions "
                     "(20.7%, 7.1%); cobalt, nickel: IEA 2019 shares, no newer complete set; "
                     "spherical graphite: China 90% of battery-grade graphite (IEA), from "
                     "mined flake × the spheronisation yield; manganese: China 69%, its "
                     "share of world silicomanganese output (IMnI 2019)), the rest refined "
                     "where mined pro rata; antimony, tungsten, PGM, gallium, germanium "
                     "and industrial graphite refined where mined.",
    "dytb_rule": "Dy+Tb oxide in mined rare-earth oxide by deposit type: light-rare-earth "
                 "ores (bastnaesite, monazite, carbonatite) dytb_share_light_ore; ionic clays "
                 "(Burma, and China's ionic-clay part, 7.5% of its mining quota in H1 2024) "
                 "the share that makes China's 2024 Dy and Tb oxide output (SMM, June × 12: "
                 "3,058 t) out of China's light ore, its ionic clay and Burma's 2024 output, "
                 "all separated in China: 5.4%. US Dy/Tb demand: its REO consumption × the "
                 "world's resulting average (0.77%).",
    "nickel_rule": "Indonesia refines all its ore (ore export ban since 2020: no concentrate "
                   "route out); the IEA shares of China and Japan apply to mine output outside "
                   "Indonesia.",
    "copper_rule": "Refined copper (2024) splits into primary refining, which needs "
                   "concentrate, and recycling in the world ratio of mine to refined output "
                   "(23.0 / 27.6 Mt).",
    "demand_rule": "World demand: the published world figure (USGS lithium consumption 2025, "
                   "IEA cobalt demand 2023, ICSG refined copper usage 2024) where it is below "
                   "world refined output, else world refined output; nickel: 2025 output "
                   "less the INSG's 2024 primary market surplus (IEA's 2023 demand lags 2025 "
                   "output by 20%); these stand for 2025. Growth (data/base_case/growth.py): "
                   "× (1 + r)^(year − 2025), r the IEA stated-policies (STEPS) rate: lithium "
                   "+146% and rare earths (NdPr, Dy/Tb) +45% 2024-2030, spherical graphite "
                   "and cobalt +50% (graphite_cobalt_growth), nickel × 2 and copper 27 to "
                   "34 Mt 2024-2040 at a constant rate; industrial graphite, gallium, "
                   "germanium, antimony, tungsten, manganese and PGM flat (no published "
                   "growth). US demand: USGS apparent consumption 2025e (rare earths × "
                   "content shares, Dy/Tb the world's average by deposit type; graphite "
                   "and spherical graphite the graphite_rule's split of natural graphite; "
                   "germanium 2019; PGM and antimony, whose 2025 figures spiked, the "
                   "2021-2025 average); the rest split by CONSUMPTION_WEIGHTS.",
    "committed_rule": "Each year 2026-2030 a growing mineral's committed capacity comes "
                      "online in January (facility '<region>-<mineral>-<stage>-<year>', "
                      "expandable at capex 0 from <year>H1): the region's 2025 capacity × "
                      "the rise that year of max(1, world demand ÷ 2025 world refined "
                      "output) (committed_capacity), split like existing capacity: its 2025 "
                      "output part at the region's cost-curve position, its spare part "
                      "('<...>-<year>-spare') at the spare-capacity cost.",
    "price_rule": "Market price: the USGS 2025 annual average (Dy/Tb: 2024; tungsten: APT at "
                  "Rotterdam, end-2025 spot, the only published APT price) in USD per t of "
                  "the refined product, all periods; lithium per t Li; PGM the Pd and Pt "
                  "prices weighted by 2025 mine output; Dy/Tb the Dy and Tb oxide prices "
                  "weighted by China's output of each (SMM, June 2024); manganese: "
                  "silicomanganese 65/17 in China, 2024 annual average (SMM), net of VAT, "
                  "at the Q4 2024 exchange rate, per t of contained Mn, with the ore's part "
                  "of the chain cost at the 2024 ore ÷ SiMn price; graphite: the flake "
                  "price; spherical graphite: uncoated SPG 99.95% C, 15 µm, FOB China "
                  "(Fastmarkets, end of March 2024, the latest quote found), with the "
                  "flake's part of the chain cost at the flake fines price ÷ the yield ÷ the "
                  "SPG price, its mine cost per t of flake.",
    "floor_rule": "NdPr: 110 USD/kg, the 2025 US defence offtake floor. Other minerals: the "
                  "higher of the USGS 2024 and 2025 prices (tungsten: the 2025 APT price; "
                  "manganese: the 2024 SiMn price; spherical graphite: its one price), "
                  "so floors bind where prices fell in 2025 and in a dumping episode.",
    "cost_rule": "Each region's 2025 output runs at its cost-curve position (COST_QUARTILES: "
                 "quartile 1-4 at 0.55-0.90 × the 2025 price for the chain, three quarters "
                 "mine, a quarter refining; manganese: the ore's share of the SiMn price; "
                 "spherical graphite: the flake fines' share of the SPG price, its mine cost "
                 "per t of flake); "
                 "the rest of its capacity (output ÷ 0.85 − "
                 "output, facility '<name>-spare') at the 2025 price. So 2025 output runs in "
                 "calm and the zone's marginal prices come out near the 2025 prices.",
    "route_rule": "Concentrate moves from regions mining more than their refineries need to "
                  "regions needing more; refined product from regions making more than they "
                  "use to every consuming region. Freight by continent pair; Section 301 "
                  "tariffs (25% of the 2025 price) on Chinese cobalt, tungsten, manganese and "
                  "natural graphite (flake and spherical) into the US.",
    "vault_rule": "One Project Vault stockpile per mineral in the US: capacity and end-2030 "
                  "target = the 60-day target × a criticality multiple (China refines 75% "
                  "or more of world output: × 3; 50% or more: × 1.5; else × 0.5) of US "
                  "demand; starts empty; releases only while a supply disruption of its "
                  "mineral is active (docs/model.md §6.6); budget 11.67 bn USD. US demand: "
                  "2026's.",
    "offtake_rule": "All US NdPr separation output of 2025e (8,900 t REO × 0.2 = 1,780 t/yr) "
                    "is bought at 110,000 USD/t take-or-pay, 2026H1-2030H2.",
    "drc_rule": "DRC quota, in force for 2026 and 2027 in every scenario: (96,600 − 9,600 t "
                "for reserves) ÷ DRC cobalt mine and refinery capacity, the same share "
                "capping concentrate and refined exports.",
    "licensing_rule": "China's licensing regimes in force (Ga, Ge since 2023-08-01, graphite "
                      "(natural flake incl. spherical) since 2023-12-01, Sb since "
                      "2024-09-15, W since 2025-02-04, Dy/Tb since 2025-04-04) cap its "
                      "exports of each at licensing_export_factor × capacity in every "
                      "scenario, calm included; scenarios tighten them.",
    "defence_rule": "From 2027H1 (DFARS 225.7018: mining, refining and separation count from "
                    "2027-01-01) a defence share of US NdPr and tungsten demand may only be "
                    "met by certified product, made in the US and allied (zone member) "
                    "regions only. DFARS itself bars only covered countries (China, Russia; "
                    "North Korea and Iran in XW): Chile, Indonesia, Vietnam, Burma and South "
                    "Africa would certify under the letter of the rule.",
    "transit_rule": "While China's Ga/Ge/graphite/Sb ban holds, other non-members export at "
                    "most their own refined capacity: no re-export of Chinese material.",
    "graphite_rule": "Natural graphite splits by use: spherical_graphite (battery grade) takes "
                     "the battery share of every region's mine output, the flake that made "
                     "China's 2024 natural-graphite anode material (anode shipments 2.12 Mt "
                     "× 15.6% natural, EV Tank) ÷ the spheronisation yield (0.493), as a share "
                     "of 2024 world natural graphite output (USGS): 43.3%; graphite "
                     "(industrial flake and amorphous) the rest. US demand splits alike "
                     "(spherical graphite × the yield). China's licensing, the ban, dumping "
                     "and the Section 301 tariff apply to both.",
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
    lines += [f"| cost position | `COST_QUARTILES[{m}, {stage}][{region}]` | {q} | quartile | "
              f"{why} |" for (m, stage), positions in COST_QUARTILES.items()
              for region, (q, why) in positions.items()]
    lines += [f"| expansion | `{e.region}-{e.mineral}-{e.stage}` | {e.expandable_t:,.0f} | "
              f"t/yr | {e.project}: {e.capex_words}; capex {e.capex_per_t:,.0f} USD per t/yr, "
              f"online {e.online_period} |" for e in EXPANSIONS]
    return "\n".join(lines)
