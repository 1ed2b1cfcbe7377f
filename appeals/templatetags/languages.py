"""Languages named as their readers name them."""

from django import template

from appealsite.languages import name_in_itself

register = template.Library()


@register.filter
def in_itself(code: str) -> str:
    """Name a language in that language: "Русский", "Қазақша"."""
    return name_in_itself(code)
