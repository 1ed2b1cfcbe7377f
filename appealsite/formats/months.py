"""Month names as a date writes them, where Django's catalogue has another form.

Kazakh writes a month in lowercase inside a date ("2026 ж. 1 желтоқсан"), while
Django's Kazakh catalogue gives "Желтоқсан". Our catalogues come before Django's,
so these texts are translated in them: Kazakh's in lowercase, the other languages'
as Django has them.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
