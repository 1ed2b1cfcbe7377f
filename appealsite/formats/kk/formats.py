"""Dates and numbers as Kazakh writes them (Django ships none for kk).

The year first, as in "2026 ж. 1 желтоқсан"; numbers as in "1 000 000,5".
"""

DATE_FORMAT = "Y ж. j F"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y ж. j F, H:i"
YEAR_MONTH_FORMAT = "Y ж. F"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # A space that does not break.
NUMBER_GROUPING = 3
