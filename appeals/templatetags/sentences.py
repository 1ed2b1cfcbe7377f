"""Sentences around dates: date formats end with a period in some languages
("p.m.", Ukrainian "р."), and a sentence must not end with two."""

from django import template

register = template.Library()


@register.filter
def full_stop(text) -> str:
    """End a sentence with one period, whether or not its text ends with one."""
    text = str(text).rstrip()
    return text if text.endswith(".") else f"{text}."
