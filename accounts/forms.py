from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


class OTPTokenField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            max_length=8,
            widget=forms.TextInput(
                attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
            ),
            **kwargs,
        )


class StaffLoginForm(AdminAuthenticationForm):
    """Password, then the authenticator code for accounts that have enrolled one."""

    otp_token = OTPTokenField(
        label=_("Authentication code"),
        required=False,
        help_text=_("The 6-digit code from your authenticator app, if you set one up."),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": _(
            "Too many failed attempts. This account is locked for %(minutes)d "
            "minutes; try again later."
        ),
        "otp_required": _("Enter the code from your authenticator app."),
        "otp_invalid": _("That authentication code is not correct. Try the next one."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if lockout.is_locked(username):
            raise ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60},
            )
        try:
            super().clean()
            self._check_token()
        except ValidationError:
            lockout.record_failure(username)
            raise
        lockout.reset(username)
        return self.cleaned_data

    def _check_token(self):
        devices = list(confirmed_devices(self.user_cache))
        if not devices:
            return  # Not enrolled: the site sends them to enrolment when required.
        token = self.cleaned_data.get("otp_token")
        if not token:
            raise ValidationError(self.error_messages["otp_required"], code="otp")
        for device in devices:
            if device.verify_token(token):
                # django_otp marks the session verified when the login completes.
                self.user_cache.otp_device = device
                return
        raise ValidationError(self.error_messages["otp_invalid"], code="otp")


class TwoFactorSetupForm(forms.Form):
    otp_token = OTPTokenField(
        label=_("Code shown by the app"),
        help_text=_("Enter the 6-digit code to prove the app is set up."),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = self.cleaned_data["otp_token"]
        if not self.device.verify_token(token):
            raise ValidationError(
                _(
                    "That code is not correct. Check the time on your phone and try "
                    "the next code."
                ),
                code="otp_invalid",
            )
        return token
