"""The default case, ``data/base_case.xlsx``, built from public figures by concern.

``figures`` reads ``data/sources``; ``assumptions`` names every planning assumption;
``geography``, ``minerals``, ``supply``, ``trade``, ``vault`` and ``scenarios`` derive the
tables of their concern; ``case`` assembles them; ``write`` writes the workbook and its
``sources`` sheet; ``report`` reads a solved run for ``docs/base_case.md``.
"""
