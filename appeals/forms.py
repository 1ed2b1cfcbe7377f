from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from appeals.models import OrganizationSignature, Signature


class SignatureForm(forms.ModelForm):
    """The public sign form; it accepts only the fields a signer may set."""

    class Meta:
        model = Signature
        fields = [
            "full_name",
            "email",
            "country",
            "city",
            "affiliation",
            "comment",
            "visibility",
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
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "affiliation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "visibility": forms.RadioSelect,
        }

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["visibility"].initial = None
        self.helper = FormHelper(self)
        self.helper.form_action = action
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(
            Submit("sign", pgettext_lazy("button", "Sign"), css_class="btn-lg")
        )


class OrganizationSignatureForm(forms.ModelForm):
    """Sign on behalf of an organization; the contact email is never shown."""

    class Meta:
        model = OrganizationSignature
        fields = [
            "organization_name",
            "website",
            "country",
            "contact_name",
            "email",
            "statement",
        ]
        labels = {
            "organization_name": _("Organization name"),
            "website": _("Website"),
            "country": _("Country"),
            "contact_name": _("Contact person"),
            "email": _("Contact email"),
            "statement": _("Short statement (optional)"),
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
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "statement": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        }

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_action = action
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(
            Submit("sign", pgettext_lazy("button", "Sign for the organization"))
        )
