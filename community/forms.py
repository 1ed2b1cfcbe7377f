from urllib.parse import urlsplit

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from appeals.forms import PublicForm, public_formfield, tidy_line, tidy_text
from community.models import TypoReport, VolunteerApplication


class TypoReportForm(forms.ModelForm):
    """What the Ctrl+Enter dialog (or the page without JavaScript) sends."""

    class Meta:
        model = TypoReport
        fields = ["page_url", "selected_text", "context", "comment"]
        labels = {
            "page_url": _("Page address"),
            "selected_text": _("The text with the mistake"),
            "context": _("Surrounding text"),
            "comment": _("Your comment (optional)"),
        }
        widgets = {
            "selected_text": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
            "context": forms.HiddenInput,
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # A public form (appealsite.crosssite).

    def clean_page_url(self):
        """Keep only the path of a page on this site: reports are about our pages."""
        url = urlsplit(self.cleaned_data["page_url"].strip())
        ours = urlsplit(settings.SITE_URL).netloc
        if url.netloc and url.netloc != ours or not url.path.startswith("/"):
            raise forms.ValidationError(_("This is not the address of a page here."))
        return url.path + (f"?{url.query}" if url.query else "")

    def clean_selected_text(self):
        return tidy_line(self.cleaned_data["selected_text"])

    def clean_context(self):
        return tidy_line(self.cleaned_data["context"])[:1500]

    def clean_comment(self):
        return tidy_text(self.cleaned_data["comment"])


class VolunteerForm(PublicForm):
    ways_to_help = forms.MultipleChoiceField(
        label=_("How would you like to help?"),
        choices=VolunteerApplication.Help.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    has_contact_consent = forms.BooleanField(
        label=_("I agree that the organization contacts me about volunteering"),
        required=True,
    )

    class Meta:
        model = VolunteerApplication
        fields = [
            "name",
            "email",
            "city",
            "country",
            "ways_to_help",
            "languages",
            "message",
            "has_contact_consent",
        ]
        labels = {
            "name": _("Name"),
            "email": _("Email"),
            "city": _("City"),
            "country": _("Country"),
            "languages": _("Languages you speak"),
            "message": _("Anything you would like us to know (optional)"),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "message": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        }
        formfield_callback = public_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(*self.Meta.fields)
