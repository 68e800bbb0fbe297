"""The fourteen minerals, their USGS names and units, and the periods."""

from __future__ import annotations

from dataclasses import dataclass

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
                "Dy/Tb oxide. Content by deposit type: ionic clays (southern China, Burma) "
                "about 5%, light-rare-earth ores 0.2% of mined REO.", ("rare_earths",),
                "2025", None,
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
    MineralSpec("graphite", "Natural graphite for industrial uses (refractories, foundries, "
                "lubricants, brake linings, expanded graphite), t gross weight. Concentrate = "
                "flake and amorphous concentrate not bound for batteries; refined = sized and "
                "upgraded flake, refined where mined, priced as flake.",
                ("graphite_natural",), "2025", None,
                ("graphite_natural", "Flake, average unit value of US imports at foreign "
                 "ports")),
    MineralSpec("spherical_graphite", "Battery-grade natural graphite: uncoated spherical "
                "graphite (SPG, 99.95% C, 15 µm), t of SPG. Concentrate = mined flake bound "
                "for anodes, t gross weight; refined = spheronised and purified graphite, "
                "about half a t per t of flake (the refinery yield).",
                ("graphite_natural",), "2025", None,
                ("", "Spherical 99.95% C, 15 microns, uncoated, FOB China (Fastmarkets)")),
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
                "scheelite concentrate; refined = ammonium paratungstate (APT) and tungsten "
                "oxides as W, priced as APT.",
                ("tungsten",), "2025", None,
                ("tungsten", "APT, Rotterdam, end-2025 (spot)")),
    MineralSpec("manganese", "Manganese, t of contained Mn. Concentrate = manganese ore; "
                "refined = manganese in ferroalloys (silicomanganese, ferromanganese: what "
                "steel buys, most of refined manganese), electrolytic metal and "
                "sulphate as Mn, priced as silicomanganese 65/17 per t of contained Mn.",
                ("manganese",), "2025", None,
                ("manganese", "SiMn 65/17, Inner Mongolia, 2024 annual average (SMM), per t "
                 "Mn contained")),
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
MN_PER_SIMN = 0.65  # the 65/17 grade of silicomanganese: 65% Mn, 17% Si
MN_DEFINITION = "the 65/17 grade: 65% Mn"
GRAPHITE = ("graphite", "spherical_graphite")  # natural graphite, split by use


PERIODS = tuple(f"{year}H{half}" for year in range(2026, 2031) for half in (1, 2))
FIRST, LAST = PERIODS[0], PERIODS[-1]
