from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.lockout import Guard


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
    """Password, then the authenticator code for accounts that have enrolled one.

    Failures are counted per login and client, per login and per client (see
    accounts.lockout); a guarded login still takes the password with a valid code.
    """

    otp_token = OTPTokenField(
        label=_("Authentication code"),
        required=False,
        help_text=_("The 6-digit code from your authenticator app, if you set one up."),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        Guard.THROTTLED.value: ngettext_lazy(
            "Too many failed login attempts from your connection. Wait %(minutes)d "
            "minute and try again.",
            "Too many failed login attempts from your connection. Wait %(minutes)d "
            "minutes and try again.",
            "minutes",
        ),
        Guard.LOCKED.value: ngettext_lazy(
            "Too many failed attempts. This login is locked for your connection for "
            "%(minutes)d minute, unless you enter your password together with the "
            "code from your authenticator app.",
            "Too many failed attempts. This login is locked for your connection for "
            "%(minutes)d minutes, unless you enter your password together with the "
            "code from your authenticator app.",
            "minutes",
        ),
        Guard.UNDER_ATTACK.value: _(
            "Too many failed attempts on this login in the last minute. Enter your "
            "password together with the code from your authenticator app, or try "
            "again in a minute."
        ),
        "otp_required": _("Enter the code from your authenticator app."),
        "otp_invalid": _("That authentication code is not correct. Try the next one."),
    }

    def clean(self):
        attempt = lockout.Attempt.from_request(
            self.request, self.cleaned_data.get("username") or ""
        )
        guard = lockout.guard(attempt)
        guarded = guard and ValidationError(
            self.error_messages[guard.value],
            code=guard.value,
            params={"minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)},
        )
        if guard is Guard.THROTTLED and not self._code_opens_login():
            # Before the password is hashed: Argon2 is costly by design. A client
            # that many share (an office, a VPN, Tor) may still hold the owner of
            # a login: a valid code first, cheap to check, lets them try.
            raise guarded
        if guarded and not self.cleaned_data.get("otp_token"):
            lockout.record_failure(attempt)
            raise guarded  # Without a code it cannot pass: no need to hash.
        try:
            super().clean()
            self._check_token()
        except ValidationError as error:
            lockout.record_failure(attempt)
            # Guarded, every failure reads the same: nothing tells a guesser that
            # the password was right.
            raise (guarded or error) from None
        if guarded and getattr(self.user_cache, "otp_device", None) is None:
            raise guarded  # The right password alone is what a guesser would send.
        lockout.record_success(attempt)
        return self.cleaned_data

    def _code_opens_login(self) -> bool:
        """Whether the code sent is valid for the login named (no password hashed)."""
        token = self.cleaned_data.get("otp_token")
        username = self.cleaned_data.get("username")
        if not token or not username:
            return False
        user_model = get_user_model()
        user = user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: username}
        ).first()
        if user is None:
            return False
        for device in confirmed_devices(user):
            if device.verify_token(token):
                self._verified_device = device  # A code is good once: keep it.
                return True
        return False

    def _check_token(self):
        verified = getattr(self, "_verified_device", None)
        if verified is not None and verified.user_id == self.user_cache.pk:
            self.user_cache.otp_device = verified
            return
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
