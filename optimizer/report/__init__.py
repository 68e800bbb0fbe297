"""Writers only: the results of :mod:`optimizer.results` to files.

``xlsx`` writes the results workbook people read, ``parquet`` the complete detail
tables machines read, ``pdf`` what a person prints. None of them computes a result.
"""
