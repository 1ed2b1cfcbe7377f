import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.fields import CountryField

from appeals.antispam import SpamTrapMixin
from appeals.countries import CountryChoiceField, CountrySelect
from appeals.mail.wire import checked_address
from appeals.models import Appeal, OrganizationSignature, Signature

# Characters that hide or reorder text (controls, bidirectional overrides and
# isolates, zero-width spaces): a name must look like what it is.
HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060-\u2069\ufeff]"
)


def tidy_line(value: str) -> str:
    """One line of text: no hidden characters, whitespace runs made single spaces."""
    return " ".join(HIDDEN_CHARACTERS.sub("", value).split())


def tidy_text(value: str) -> str:
    """Several lines of text: no hidden characters, Unix line ends, no edge blanks."""
    lines = HIDDEN_CHARACTERS.sub("", value.replace("\r\n", "\n")).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


class DeliverableEmailField(forms.EmailField):
    """An email address that a mail server can be given as it was typed.

    Hidden characters are refused rather than dropped (dropping them changed what
    the address was), and the address must survive the encoding the mailer's SMTP
    connection applies: an address Django's checks pass but no server can be sent
    to would otherwise fail only in the mailer, long after the signer left.
    """

    default_error_messages = {
        # Django's own words, in our catalogues: Django's Kazakh one lacks them.
        "invalid": _("Enter a valid email address."),
        "undeliverable": _("Enter an email address that can receive mail."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        # A quoted or escaped local part ("ann"@…, "\a\nn"@…) reaches the same
        # mailbox as the plain one, spelt a new way each time: it would get around
        # one signature per address and the per-mailbox limits.
        local = value.rpartition("@")[0]
        if HIDDEN_CHARACTERS.search(value) or '"' in local or "\\" in local:
            raise ValidationError(self.error_messages["undeliverable"], "undeliverable")
        try:
            checked_address(value)  # The very check made before it is sent.
        except (ValueError, UnicodeError) as error:
            raise ValidationError(
                self.error_messages["undeliverable"], "undeliverable"
            ) from error
        return value


def public_formfield(model_field, **kwargs):
    """A model field's form field, as in a ModelForm; countries checked by code,
    email addresses checked for delivery."""
    if isinstance(model_field, CountryField):
        kwargs["choices_form_class"] = CountryChoiceField
    if isinstance(model_field, models.EmailField):
        kwargs["form_class"] = DeliverableEmailField
    return model_field.formfield(**kwargs)


class PublicForm(SpamTrapMixin, forms.Form, metaclass=ModelFormMetaclass):
    """A form anyone may post: tidy text, spam traps, layout without a form tag.

    Its fields come from the model named in Meta, as a ModelForm's do, but it holds
    no model instance: services write the rows from cleaned_data, so the form
    neither builds an instance nor runs the model's validation over the same fields
    again (dear in a wave: README, "Performance"). The database's constraints
    still check every row.

    The template writes the <form> element, the traps and the submit button.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # A public form (appealsite.crosssite).
        self.lay_out()

    def lay_out(self) -> None:
        """Lay out the fields the form has now, in their order."""
        self.helper.layout = Layout(
            *(name for name in self.fields if name not in self.trap_fields)
        )

    def clean(self):
        cleaned_data = super().clean()
        for name, value in list(cleaned_data.items()):
            if isinstance(value, str) and name not in self.trap_fields:
                field = self.fields[name]
                multiline = isinstance(field.widget, forms.Textarea)
                value = tidy_text(value) if multiline else tidy_line(value)
                cleaned_data[name] = value
                if not value and field.required:
                    self.add_error(name, field.error_messages["required"])
        return cleaned_data


class SignatureForm(PublicForm):
    """The public sign form; it accepts only the fields a signer may set."""

    class Meta:
        model = Signature
        formfield_callback = public_formfield
        fields = [
            "full_name",
            "email",
            "country",
            "city",
            "affiliation",
            "comment",
            "visibility",
            "wants_updates",
            "has_newsletter_consent",
        ]
        labels = {
            "full_name": _("Full name"),
            "email": _("Email"),
            "country": _("Country"),
            "city": _("City"),
            "affiliation": _("Affiliation or occupation"),
            "comment": _("Why I sign"),
            "visibility": _("On the list of signatories"),
            "wants_updates": _(
                "Email me updates about this appeal: delivery, the reply (optional)"
            ),
            "has_newsletter_consent": _(
                "Send me news about this and other appeals (optional)"
            ),
        }
        help_texts = {
            "email": _(
                "We send a confirmation link there. Your email is never shown publicly."
            ),
            "comment": _(
                "Optional, at most 1,000 characters. Shown publicly only after a "
                "moderator approves it."
            ),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "country": CountrySelect(attrs={"autocomplete": "country"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "affiliation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "visibility": forms.RadioSelect,
        }

    def __init__(self, *args, appeal: Appeal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].initial = None
        if appeal is not None and appeal.is_high_risk:
            self._for_high_risk(appeal)

    def _for_high_risk(self, appeal: Appeal) -> None:
        """Ask for less, and say what is kept (see appeals.services.highrisk)."""
        days = settings.HIGH_RISK_KEY_GRACE_DAYS
        self.fields["visibility"].initial = Signature.Visibility.COUNTED
        # No list with addresses leaves a high-risk appeal: no newsletter either.
        del self.fields["has_newsletter_consent"]
        if not appeal.accepts_comments:
            del self.fields["comment"]
        self.fields["email"].help_text = _(
            "We send a confirmation link there. Once you confirm, we delete the "
            "address and keep only a code made from it that recognizes a second "
            "signature. It is never shown publicly."
        )
        self.fields["wants_updates"].help_text = ngettext(
            "Only then do we keep your address after you confirm: until "
            "%(days)d day after signing closes.",
            "Only then do we keep your address after you confirm: until "
            "%(days)d days after signing closes.",
            days,
        ) % {"days": days}
        self.lay_out()


class OrganizationSignatureForm(PublicForm):
    """Sign on behalf of an organization; the contact email is never shown."""

    class Meta:
        model = OrganizationSignature
        formfield_callback = public_formfield
        fields = [
            "organization_name",
            "website",
            "country",
            "contact_name",
            "email",
            "statement",
            "wants_updates",
        ]
        labels = {
            "organization_name": _("Organization name"),
            "website": _("Website"),
            "country": _("Country"),
            "contact_name": _("Contact person"),
            "email": _("Contact email"),
            "statement": _("Short statement (optional)"),
            "wants_updates": _(
                "Email the contact updates about this appeal (optional)"
            ),
        }
        help_texts = {
            "email": _(
                "We send a confirmation link there. It is never shown publicly."
            ),
            "statement": _("At most 1,000 characters."),
        }
        widgets = {
            "organization_name": forms.TextInput(
                attrs={"autocomplete": "organization"}
            ),
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
            "country": CountrySelect(attrs={"autocomplete": "country"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "statement": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        }


class DataAccessForm(SpamTrapMixin, forms.Form):
    """Ask for a link to everything held about an address."""

    email = DeliverableEmailField(
        label=_("Your email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send the link there, and only there."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # A public form (appealsite.crosssite).
        self.helper.layout = Layout("email")


class ReceiptCheckForm(forms.Form):
    """Check a signer's receipt code against the appeal's signed log."""

    code = forms.CharField(
        label=_("Receipt code"),
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "font-monospace",
            }
        ),
        help_text=_("From your receipt page or file, e.g. 12-345-abcd…"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # A public form (appealsite.crosssite).
        self.helper.layout = Layout("code")
