"""Solving a compiled program: HiGHS (``highs``), its checked options (``options``) and
the plain-words account of a program that did not solve (``explain``)."""
