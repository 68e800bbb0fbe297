"""The input side: the workbook contract, reading, validation, the template and its reference.

Everything a planner types passes through here before the model sees it: ``contract``
declares the sheets, columns and settings once; ``reading`` and ``cells`` turn untrusted
files into records; ``validation`` checks them into a frozen :class:`~optimizer.data.ModelData`;
``template`` and ``reference`` write the blank workbook and ``docs/workbook.md`` from the
same contract.
"""
