"""Regions of the default case, zone membership and demand weights."""

from __future__ import annotations

from base_case.figures import Figure, PublicFigures, cited

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
