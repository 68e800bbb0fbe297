"""Mine, refinery and recycling output, market prices, demand and facilities."""

from __future__ import annotations

from collections import defaultdict

from base_case.assumptions import EXPANSIONS, A, assumed, quartile, tidy
from base_case.figures import Figure, PublicFigures, Record, Row, cited
from base_case.geography import CONSUMPTION_WEIGHTS, REGIONS, Geography
from base_case.growth import BASE_YEAR, Growth, growth_rates
from base_case.minerals import (
    GRAPHITE,
    LI_DEFINITION,
    LI_PER_LI2CO3,
    MINERALS,
    MN_DEFINITION,
    MN_PER_SIMN,
    PERIODS,
    PRICE_YEAR,
    REE,
    RESIDUAL,
    SPEC,
    MineralSpec,
)


class Supply:
    """Production, prices and demand by region, derived from the public figures."""

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
        self.growth: dict[str, Growth] = growth_rates(figures)

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
        if spec.mineral in GRAPHITE:
            share, share_rows, share_words = self._graphite_split(spec.mineral)
            return {r: (v * share, [*rows, *share_rows],
                        f"{words} (t natural graphite) × {share:.4f} ({share_words})"
                        + (RESIDUAL if r == "XW" else ""))
                    for r, (v, rows) in combined.items() if v > 0}
        if spec.mineral == "dytb":
            result: dict[str, tuple[float, list[Row], str]] = {}
            for region, (value, rows) in combined.items():
                share, share_rows, share_words = self._dytb_share(region)
                result[region] = (value * share, [*rows, *share_rows],
                                  f"{words} (t REO) × {share:.5f} ({share_words})"
                                  + (RESIDUAL if region == "XW" else ""))
            return {r: v for r, v in result.items() if v[0] > 0}
        return {r: (v * factor, rows, words + (RESIDUAL if r == "XW" else ""))
                for r, (v, rows) in combined.items() if v > 0}

    def _dytb_ionic(self) -> tuple[float, float, list[Row], str]:
        """Dy+Tb oxide share of mined REO in ionic clays, and the ionic-clay part of
        China's mining (``dytb_rule``): China's 2024 Dy and Tb oxide output (SMM, June ×
        12) comes from Chinese ore, ionic clay in the proportion of China's ionic-clay
        mining quota (H1 2024), and Burmese ionic clay; the light ores hold
        ``dytb_share_light_ore``, the ionic clays the rest."""
        dy, tb, quota, ionic_quota = (
            self.f.one("additional.csv", item=item) for item in (
                "china_dy_oxide_output_2024_06", "china_tb_oxide_output_2024_06",
                "china_mining_quota_2024_h1", "china_ionic_clay_quota_2024_h1"))
        china, burma = (self.f.one("mine_production.csv", mineral="rare_earths",
                                   country=c, year="2024") for c in ("China", "Burma"))
        output = 12 * (dy.number("value") + tb.number("value"))
        ionic_part = ionic_quota.number("value") / quota.number("value")
        light = A("dytb_share_light_ore")
        cn = china.number("tonnes")
        share = (output - light * cn * (1 - ionic_part)) / (
            cn * ionic_part + burma.number("tonnes"))
        words = (f"ionic clay: (China's Dy+Tb oxide output 12 × ({dy['value']} + "
                 f"{tb['value']}) = {output:,.1f} t (SMM, June 2024) − {light} "
                 f"(dytb_share_light_ore) × China's light ore {cn:,.0f} × (1 − "
                 f"{ionic_part:.4f}) t) ÷ (China's ionic clay {cn:,.0f} × {ionic_part:.4f} "
                 f"(ionic quota {ionic_quota['value']} ÷ {quota['value']} t, H1 2024) + "
                 f"Burma {burma['tonnes']} t REO, 2024) = {share:.5f}")
        return share, ionic_part, [dy, tb, quota, ionic_quota, china, burma], words

    def _dytb_share(self, region: str) -> tuple[float, list[Row], str]:
        """Dy+Tb oxide share of a region's mined REO by deposit type: Burma's ionic clays,
        China's blend of ionic clay and light ore, light ore elsewhere."""
        ionic, part, rows, words = self._dytb_ionic()
        light = A("dytb_share_light_ore")
        basis = self.f.one("additional.csv", item="mountain_pass_hree_share")
        if region == "MM":
            return ionic, rows, words
        if region == "CN":
            return (part * ionic + (1 - part) * light, [*rows, basis],
                    f"{part:.4f} ionic clay × {ionic:.5f} + {1 - part:.4f} light ore × "
                    f"{light} (dytb_share_light_ore); {words}")
        return light, [basis], ("light-rare-earth ore: dytb_share_light_ore, a fifth of "
                                "the 1% heavy rare earths of Mountain Pass ore")

    def battery_share(self) -> tuple[float, list[Row], str]:
        """The battery (spherical graphite) share of natural graphite: the flake that made
        China's natural-graphite anode material in 2024 (its anode shipments × the part not
        synthetic, EV Tank; China makes nearly all of the world's) ÷ the spheronisation
        yield, as a share of 2024 world natural graphite mine output (USGS)."""
        shipped, synthetic = (self.f.one("additional.csv", item=item) for item in (
            "china_anode_shipments_2024", "china_anode_synthetic_share_2024"))
        world = self.f.one("mine_production.csv", mineral="graphite_natural",
                           country="World total (rounded)", year="2024")
        yld, yield_rows, _ = self.spg_yield()
        natural = shipped.number("value") * (1 - synthetic.number("value") / 100)
        share = natural / yld / world.number("tonnes")
        words = (f"battery share: China's 2024 anode shipments {shipped['value']} t × (1 − "
                 f"{synthetic['value']}% synthetic) = {natural:,.0f} t of natural-graphite "
                 f"anode ÷ spheronisation yield {yld} = {natural / yld:,.0f} t of flake, ÷ "
                 f"world natural graphite mine output 2024 {world['tonnes']} t = {share:.4f}")
        return share, [shipped, synthetic, world, *yield_rows], words

    def _graphite_split(self, mineral: str) -> tuple[float, list[Row], str]:
        """The part of each region's natural graphite mine output that is ``mineral``:
        the world's battery share for spherical graphite, the rest for industrial
        graphite (every region in the world's proportion: the sources split no country's
        output by use)."""
        share, rows, words = self.battery_share()
        if mineral == "spherical_graphite":
            return share, rows, f"{words}, every region alike"
        return 1 - share, rows, f"1 − {words}, every region alike"

    def spg_yield(self) -> tuple[float, list[Row], str]:
        """Spheronisation yield, t of spherical graphite per t of flake: the lower of the
        two published yields (an industrial rounding unit; a study of Chinese fines)."""
        rows = [self.f.one("additional.csv", item=item) for item in (
            "spg_yield_rounding_unit", "spg_yield_northeast_china_study")]
        low = min(rows, key=lambda r: r.number("value"))
        words = (f"the lower of the published spheronisation yields {rows[0]['value']}% "
                 f"(NETZSCH rounding unit, d50 18.4 µm) and {rows[1]['value']}% (Northeast "
                 f"China fines, D50 16 µm): {low['value']}%")
        return tidy(low.number("value") / 100), rows, words

    def refine_yield(self, mineral: str) -> float:
        """t of refined product per t of concentrate."""
        if mineral in REE:
            return A("ree_separation_yield")
        if mineral == "spherical_graphite":
            return self.spg_yield()[0]
        return 1.0

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
        yld = self.refine_yield(m)
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
        if m == "manganese":
            return self._manganese(), {}
        if m in ("gallium", "germanium", "antimony", "tungsten", "pgm", "graphite"):
            return ({r: (v * yld, rows, f"refined where mined: {words}")
                     for r, (v, rows, words) in mine.items()}, {})
        shares: dict[str, tuple[float, list[Row]]] = {}
        basis = world
        basis_words = (f"world {m} mine output" if yld == 1 else
                       f"world {m} mine output × yield {yld}")
        if m == "nickel":
            ban = self.f.one("additional.csv", item="indonesia_nickel_ore_export_ban")
            ind, ind_rows, _ = mine["ID"]
            shares["ID"] = (ind, [*ind_rows, ban])
            basis = world - ind
            basis_words = "mine output outside Indonesia"
        key = {"lithium": "lithium_processing", "cobalt": "cobalt_processing",
               "nickel": "nickel_processing",
               "spherical_graphite": "graphite_battery_grade"}[m]
        listed = self.f.find("refining_share.csv", mineral=key)
        percent, newer = self._shares(m, listed)
        said: dict[str, list[str]] = {}
        for row in listed:
            region = self.geo.region_of(row["country"])
            if region == "ID":
                continue  # Indonesia refines its own ore (the ore export ban)
            value, rows = shares.get(region, (0.0, []))
            shares[region] = (value + percent[row["country"]] / 100 * basis,
                              [*rows, row, *newer])
            said.setdefault(region, []).append(f"{percent[row['country']]:.4g}% "
                                               f"{row['country']}")
        rest = world - sum(v for v, _ in shares.values())
        others = {r: v for r, (v, _, _) in mine.items() if r not in shares}
        when = (f"China's {newer[0]['year']} share, the rest in the {listed[0]['year']} "
                "proportions" if newer else f"{listed[0]['year']} shares")
        result = {
            region: (value, rows, (
                "own mine output (nickel ore export ban since 2020)" if region == "ID"
                else f"{', '.join(said[region])} of {basis_words} ({when})"))
            for region, (value, rows) in shares.items()
        }
        for region, value in others.items():
            if rest > 0:
                result[region] = (rest * value / sum(others.values()), mine[region][1],
                                  "refined where mined: the output the listed refiners do "
                                  "not take, pro rata to mine output")
        return result, {}

    def _manganese(self) -> dict[str, tuple[float, list[Row], str]]:
        """Refined manganese by region: China its share of the world's silicomanganese
        output (``china_share_simn``, IMnI figures), the product refined manganese is
        priced as; the rest refined where mined, pro rata to mine output outside China
        (ore moves to China's alloy plants over the concentrate routes)."""
        mine = self.mine["manganese"]
        world = sum(v for v, _, _ in mine.values())
        row = self.f.one("additional.csv", item="china_share_simn")
        china = row.number("value") / 100 * world
        result = {"CN": (china, [row], f"China {row['value']}% of world silicomanganese "
                         f"output ({row['year']}, IMnI) × world manganese mine output")}
        others = {r: v for r, (v, _, _) in mine.items() if r != "CN"}
        for region, value in others.items():
            result[region] = ((world - china) * value / sum(others.values()),
                              [*mine[region][1], row],
                              "refined where mined: the output China's refiners do not "
                              "make, pro rata to mine output outside China")
        return result

    def _shares(self, mineral: str, listed: list[Row]) -> tuple[dict[str, float], list[Row]]:
        """Processing shares (%) by listed country, and the newer rows they rest on:
        lithium takes China's 2024 share (IEA GCMO 2025) and scales the other 2019 shares
        to the rest; the others keep the listed shares."""
        percent = {r["country"]: r.number("share_pct") for r in listed}
        if mineral != "lithium":
            return percent, []
        china = self.f.one("additional.csv", item="lithium_refining_china_2024")
        scale = (100 - china.number("value")) / (100 - percent["China"])
        return {c: china.number("value") if c == "China" else v * scale
                for c, v in percent.items()}, [china]

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
            dy_out, tb_out = (self.f.one("additional.csv", item=item) for item in (
                "china_dy_oxide_output_2024_06", "china_tb_oxide_output_2024_06"))
            share = dy_out.number("value") / (dy_out.number("value") + tb_out.number("value"))
            value = tidy(share * dy.number("usd") + (1 - share) * tb.number("usd"))
            words = (f"{share:.4f} × Dy oxide {dy['usd']} + {1 - share:.4f} × Tb oxide "
                     f"{tb['usd']} USD/t (2024, MCS 2025; no 2025 pair published), weighted "
                     f"by China's Dy and Tb oxide output ({dy_out['value']} and "
                     f"{tb_out['value']} t in June 2024, SMM)")
            figure = Figure(value, "USD/t Dy/Tb oxide", *cited([dy, tb, dy_out, tb_out]),
                            words)
            return figure, figure
        if m == "manganese":
            simn, fx = (self.f.one("additional.csv", item=item) for item in (
                "simn_price_china_2024", "cny_per_usd_2024_q4"))
            vat, content = A("china_vat"), MN_PER_SIMN
            value = tidy(simn.number("value") / (1 + vat) / fx.number("value") / content)
            words = (f"SiMn 65/17, Inner Mongolia, 2024 annual average {simn['value']} "
                     f"yuan/t ÷ (1 + {vat}) (china_vat) ÷ {fx['value']} yuan/USD (Q4 2024) "
                     f"÷ {content} t Mn per t ({MN_DEFINITION}) = USD per t of "
                     "contained Mn; one published year, so floor = market")
            figure = Figure(value, "USD/t Mn", *cited([simn, fx]), words)
            return figure, figure
        if m == "spherical_graphite":
            low, high, change = (self.f.one("additional.csv", item=item) for item in (
                "spg_price_fob_china_2023_12_28_low", "spg_price_fob_china_2023_12_28_high",
                "spg_price_change_2024_q1"))
            middle = (low.number("value") + high.number("value")) / 2
            value = tidy(middle * (1 + change.number("value") / 100))
            words = (f"spherical graphite 99.95% C, 15 µm, uncoated, FOB China (Fastmarkets): "
                     f"{low['value']}-{high['value']} USD/t on 2023-12-28, midpoint "
                     f"{middle:,.0f}, × (1 {change['value']}%) by the end of March 2024, the "
                     "latest quote found; one price, so floor = market")
            figure = Figure(value, "USD/t SPG", *cited([low, high, change]), words)
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
        figures: list[Figure] = []
        for year in (PRICE_YEAR, "2024"):
            found = self.f.find("prices_usd_per_t.csv", mineral=usgs, form=form, year=year)
            if not found and year != PRICE_YEAR:
                figures.append(figures[0])  # one published year (APT): no earlier price
                continue
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
            "copper": ("demand.csv", {"mineral": "copper", "metric": "world refined usage",
                                      "year": "2024"}),
            "ndpr": ("demand.csv", {"mineral": "rare_earths (magnet REEs)",
                                    "metric": "total demand", "year": "2023"}),
        }.get(m)
        if m == "nickel":
            # IEA's 2023 demand is two years behind 2025 output; the INSG's market surplus
            # (2024, quoted by USGS) measures how far output ran ahead of use
            surplus = self.f.one("demand.csv", mineral="nickel",
                                 metric="global primary market surplus (INSG)")
            return output - surplus.number("value"), (
                f"world refined output {output:,.0f} t less the INSG's primary market "
                f"surplus {surplus['value']} t ({surplus['year']})"), [surplus]
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
            "manganese": "US apparent consumption (Mn content)",
            "copper": "US apparent consumption (refined + old scrap)",
        }
        if m == "dytb":
            row = self.f.one("demand.csv", mineral="rare_earths",
                             metric="US apparent consumption, compounds & metals")
            reo = self.f.one("mine_production.csv", mineral="rare_earths",
                             country="World total (rounded)", year="2025")
            mined = sum(v for v, _, _ in self.mine[m].values())
            share = mined / reo.number("tonnes")
            return row.number("value") * share, (
                f"US apparent consumption of rare-earth compounds and metals 2025e "
                f"{row['value']} t REO × {share:.5f}, the world's Dy+Tb share of mined REO "
                f"(world Dy/Tb mine output {mined:,.1f} t ÷ {reo['tonnes']} t REO, by deposit "
                "type)"), [row, reo]
        if m in REE:
            row = self.f.one("demand.csv", mineral="rare_earths",
                             metric="US apparent consumption, compounds & metals")
            share = A(SPEC[m].content or "")
            return row.number("value") * share, (
                f"US apparent consumption of rare-earth compounds and metals 2025e "
                f"{row['value']} t REO × {share} ({SPEC[m].content})"), [row]
        if m in GRAPHITE:
            row = self.f.one("demand.csv", mineral="graphite_natural")
            share, rows, words = self._graphite_split(m)
            yld = self.refine_yield(m)
            value = row.number("value") * share * yld
            return value, (
                f"US apparent consumption of natural graphite 2025e {row['value']} t × "
                f"{share:.4f} ({words})" + (f" × yield {yld} (t of SPG)" if yld != 1 else "")
                ), [row, *rows]
        if m == "pgm":
            # on the basis of world supply, mine output: USGS apparent consumption includes
            # the US's own secondary production, so the metal recycled from US catalytic
            # converters comes off it
            rows = [self.f.one("additional.csv", item=f"us_consumption_{x}_2021_2025")
                    for x in ("palladium", "platinum")]
            spike = [self.f.one("demand.csv", mineral=x) for x in ("palladium", "platinum")]
            recycled = [self.f.one("additional.csv", item=f"us_pgm_recycled_{x}_2025")
                        for x in ("palladium", "platinum")]
            gross = sum(r.number("value") for r in rows)
            return gross - sum(r.number("value") for r in recycled), (
                f"US apparent consumption, 2021-2025 average: Pd {rows[0]['value']} t + Pt "
                f"{rows[1]['value']} t (2025e alone: {spike[0]['value']} + {spike[1]['value']} "
                "t, a spike with investment and stock changes), less the Pd "
                f"{recycled[0]['value']} t + Pt {recycled[1]['value']} t recovered from US "
                "catalytic converters in 2025, which apparent consumption includes: demand "
                "for mined metal, the basis of world supply"), [*rows, *spike, *recycled]
        if m == "antimony":
            average = self.f.one("additional.csv", item="us_consumption_antimony_2021_2025")
            latest = self.f.one("demand.csv", mineral="antimony")
            return average.number("value"), (
                f"US apparent consumption, 2021-2025 average {average['value']} t (2025e "
                f"alone {latest['value']} t, a spike after China's export controls)"), [
                average, latest]
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

    def demand_in(self, mineral: str, region: str, period: str) -> Figure:
        """A region's demand in a period (t/yr): its 2025 demand grown to the period's
        year (:mod:`base_case.growth`); the 2025 figure where the mineral does not grow."""
        base = self.demand[mineral][region]
        growth = self.growth.get(mineral)
        if growth is None:
            return base
        year = int(period[:4])
        source, url = cited(growth.rows)
        if growth.assumption:
            source = f"planning assumption: {growth.assumption}; {source}"
        return Figure(
            tidy(float(base.value) * growth.factor(year)), base.unit,
            f"{base.source}; {source}", base.url or url,
            f"{base.value} t/yr in {BASE_YEAR} × {growth.factor(year):.4f} = (1 + "
            f"{growth.rate:.4f})^{year - BASE_YEAR} ({growth.words}); {BASE_YEAR} demand: "
            f"{base.derivation}")

    def world_output(self, mineral: str) -> float:
        """World refined output of 2025 (refineries and recyclers), t/yr."""
        return sum(v for v, _, _ in self.refine[mineral].values()) + sum(
            v for v, _, _ in self.recycle[mineral].values())

    def capacity_growth(self, mineral: str, year: int) -> float:
        """Capacity in ``year`` ÷ 2025 capacity (``committed_capacity``): max(1, world
        demand in ``year`` ÷ 2025 world refined output); 1 where demand does not grow."""
        growth = self.growth.get(mineral)
        if growth is None or year <= BASE_YEAR:
            return 1.0
        demand = self.world_demand[mineral][0] * growth.factor(year)
        return max(1.0, A("committed_capacity") * demand / self.world_output(mineral))

    # ------------------------------------------------------------ tables


    def _cost(self, mineral: str, region: str, stage: str, spare: bool = False) -> Figure:
        """Unit cash cost of a stage: the region's cost-curve position (its quartile's
        chain cost, or ``spare_cost_share`` for capacity idle in 2025) × the 2025 market
        price, split between mine and refining by ``refine_part_of_cost``."""
        refine, mine_words, refine_words = self._refine_part(mineral)
        part = {"mine": 1 - refine, "refine": refine, "recycle": 1.0}[stage]
        if spare:
            name, why = "spare_cost_share", "spare capacity (idle in 2025)"
        else:
            q, why = quartile(mineral, stage, region)
            name = f"cost_quartile_{q}"
            why = f"quartile {q}: {why}"
        feed = self.refine_yield(mineral) if (
            stage == "mine" and mineral == "spherical_graphite") else 1.0
        value = tidy(A(name) * part * self.market(mineral) * feed)
        part_words = {"mine": f"× mine part {part:.4g} ({mine_words})"
                      + (f" × yield {feed} (per t of flake feed)" if feed != 1 else ""),
                      "refine": f"× refining part {part:.4g} ({refine_words})",
                      "recycle": "(recycling bears the whole chain)"}[stage]
        return Figure(value, "USD/t", f"planning assumption: {name}",
                      self.price[mineral].url,
                      f"{A(name):g} ({name}) {part_words} × market price "
                      f"{self.price[mineral].value} USD/t; {region} {why}")

    def _refine_part(self, mineral: str) -> tuple[float, str, str]:
        """Refining's part of the chain's cash cost: ``refine_part_of_cost``, except for
        manganese, whose ore has a published price of its own: there the mine's part is
        the 2024 ore price ÷ the 2024 refined (SiMn) price, so an ore tonne costs what
        ore sold for. Returns the part and the words for the mine's and refining's parts."""
        if mineral == "spherical_graphite":
            low, high = (self.f.one("additional.csv", item=item) for item in (
                "flake_fines_price_fob_china_2024_03_low",
                "flake_fines_price_fob_china_2024_03_high"))
            fines = (low.number("value") + high.number("value")) / 2
            yld = self.spg_yield()[0]
            mine = fines / yld / self.market(mineral)
            words = (f"flake fines -100 mesh {low['value']}-{high['value']} USD/t FOB China "
                     f"(March 2024, {low.cite()}) ÷ yield {yld} ÷ SPG price "
                     f"{self.price[mineral].value} USD/t")
            return 1 - mine, words, f"1 − {words}"
        if mineral != "manganese":
            return (A("refine_part_of_cost"), "1 − refine_part_of_cost",
                    "refine_part_of_cost")
        ore = self.f.one("prices_usd_per_t.csv", mineral="manganese", year="2024",
                         form="Metallurgical ore 44% Mn, CIF China (CRU), per mtu Mn content")
        mine = ore.number("usd") / float(self.price_2024[mineral].value)
        words = (f"2024 ore price {ore['usd']} ÷ refined price "
                 f"{self.price_2024[mineral].value} USD/t Mn, {ore.cite()}")
        return 1 - mine, words, f"1 − {words}"

    def _yield(self, mineral: str) -> Figure:
        if mineral == "spherical_graphite":
            value, rows, words = self.spg_yield()
            return Figure(value, "t/t", *cited(rows), f"t of SPG per t of flake: {words}")
        return (assumed("ree_separation_yield") if mineral in REE else
                Figure(1, "t/t", "definition: content basis", "",
                       "mine and refined output counted as the same contained product"))

    def facilities(self) -> list[Record]:
        """Per region, mineral and stage: the capacity that ran in 2025 (its output, at the
        region's cost-curve position) and, as ``<facility>-spare``, the rest of capacity
        (output ÷ utilisation − output) at the spare-capacity cost."""
        records: dict[str, Record] = {}
        utilisation = A("utilisation")
        order = [r[0] for r in REGIONS]
        for spec in MINERALS:
            m = spec.mineral
            stages = (("mine", self.mine[m]), ("refine", self.refine[m]),
                      ("recycle", self.recycle[m]))
            for stage, table in stages:
                for region in sorted(table, key=order.index):
                    value, rows, words = table[region]
                    name = f"{region}-{m}-{stage}"
                    spare = tidy(value / utilisation) - tidy(value)
                    for facility, capacity, words_capacity, is_spare in (
                        (name, tidy(value), f"{words}: output {value:,.1f} t/yr, the "
                         "capacity that ran in 2025", False),
                        (f"{name}-spare", tidy(spare), f"{words}: output {value:,.1f} t/yr "
                         f"÷ utilisation {utilisation} − output: capacity idle in 2025",
                         True),
                    ):
                        record: Record = {
                            "facility": facility, "region": region, "mineral": m,
                            "stage": stage,
                            "capacity_t": Figure(capacity, "t/yr", *cited(rows),
                                                 words_capacity),
                            "unit_cost_per_t": self._cost(m, region, stage, is_spare),
                        }
                        if stage == "refine":
                            record["yield"] = self._yield(m)
                        records[facility] = record
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
                    "unit_cost_per_t": self._cost(expansion.mineral, expansion.region,
                                                  expansion.stage),
                }
                if expansion.stage == "refine":
                    record["yield"] = self._yield(expansion.mineral)
                records[name] = record
            source = "planning assumption: EXPANSIONS"
            record["expandable_t"] = Figure(expansion.expandable_t, "t/yr", source, "",
                                            f"{expansion.project}: size")
            record["capex_per_t"] = Figure(expansion.capex_per_t, "USD per t/yr", source, "",
                                           f"{expansion.project}: {expansion.capex_words}")
            record["lifetime_years"] = assumed("expansion_lifetime_years")
            record["online_period"] = expansion.online_period
        records.update(self._committed())
        return list(records.values())

    def _committed(self) -> dict[str, Record]:
        """Committed capacity of growing minerals (``committed_rule``): per region, stage
        and year 2026-2030 the year's rise of :meth:`capacity_growth` × the region's 2025
        capacity, expandable at capex 0 from January of that year; like existing capacity,
        its 2025 output part at the region's cost-curve position and its spare part
        (``-spare``) at the spare-capacity cost, so the cost curve grows in step."""
        records: dict[str, Record] = {}
        order = [r[0] for r in REGIONS]
        years = sorted({int(p[:4]) for p in PERIODS})
        for spec in MINERALS:
            m = spec.mineral
            growth = self.growth.get(m)
            if growth is None:
                continue
            source, url = cited(growth.rows)
            source = f"planning assumption: committed_capacity; {source}"
            stages = (("mine", self.mine[m]), ("refine", self.refine[m]),
                      ("recycle", self.recycle[m]))
            for stage, table in stages:
                for region in sorted(table, key=order.index):
                    output = table[region][0]
                    parts = ((f"{region}-{m}-{stage}", output, "2025 output", False),
                             (f"{region}-{m}-{stage}", output / A("utilisation") - output,
                              "2025 spare capacity", True))
                    for year in years:
                        before, after = (self.capacity_growth(m, year - 1),
                                         self.capacity_growth(m, year))
                        for stem, base, words, spare in parts:
                            added = tidy(base * (after - before))
                            if added <= 0:
                                continue
                            name = f"{stem}-{year}" + ("-spare" if spare else "")
                            record: Record = {
                                "facility": name, "region": region, "mineral": m,
                                "stage": stage,
                                "capacity_t": Figure(0, "t/yr", "definition: new facility", "",
                                                     f"committed capacity online in {year}"),
                                "unit_cost_per_t": self._cost(m, region, stage, spare),
                            }
                            if stage == "refine":
                                record["yield"] = self._yield(m)
                            record["expandable_t"] = Figure(
                                added, "t/yr", source, url,
                                f"{region}'s {words} ({stage}) {base:,.1f} t/yr × "
                                f"({after:.4f} − {before:.4f}), the rise in {year} of max(1, "
                                f"world demand ÷ 2025 world refined output "
                                f"{self.world_output(m):,.0f} t); world demand = "
                                f"{self.world_demand[m][0]:,.0f} t/yr in {BASE_YEAR} × "
                                f"(1 + {growth.rate:.4f})^(year − {BASE_YEAR}) "
                                f"({growth.words})")
                            record["capex_per_t"] = Figure(
                                0, "USD per t/yr", "definition: committed capacity", "",
                                "an announced project its owners finance: capex 0 in the "
                                "case, not the zone's expansion finance (docs/model.md §5)")
                            record["online_period"] = f"{year}H1"
                            records[name] = record
        return records

    def _capacity(self, mineral: str, stage: str, expandable: bool = True
                  ) -> dict[str, float]:
        """Existing plus (unless ``expandable`` is false) expandable capacity by region
        (t/yr of output)."""
        table = {"mine": self.mine, "refine": self.refine, "recycle": self.recycle}[stage]
        capacity: dict[str, float] = defaultdict(float)
        for region, (value, _, _) in table[mineral].items():
            capacity[region] += value / A("utilisation")
        for e in EXPANSIONS if expandable else ():
            if e.mineral == mineral and e.stage == stage:
                capacity[e.region] += e.expandable_t
        return capacity
