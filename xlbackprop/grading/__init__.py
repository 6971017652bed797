"""``xlbackprop assign`` and ``grade``: a class, not a file.

    assign: roster (:mod:`~.roster`) → each student's numbers (:mod:`~.numbers`) → start files
            (:mod:`xlbackprop.writing.start`) and key.csv                       (:mod:`~.assign`)
    grade:  submissions → whose (:mod:`~.match`) → check (:mod:`xlbackprop.check.batch`) → marks
            by the rubric (:mod:`~.rubric`, :mod:`~.marks`) → copies and the class's common
            slips (:mod:`~.grade`) → gradebook CSV, JSON, text (:mod:`~.gradebook`)
"""
