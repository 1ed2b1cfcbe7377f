from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import TwoFactorSetupForm, confirmed_devices


@never_cache
@login_required
def two_factor_setup(request, admin_site):
    """Enrol an authenticator app: scan the code, prove it with one token."""
    user = request.user
    if not user.is_staff:
        return redirect(f"{admin_site.name}:login")
    if confirmed_devices(user).exists() and user.is_verified():
        return redirect(f"{admin_site.name}:index")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": _("Authenticator app")}
    )
    form = TwoFactorSetupForm(
        request.POST if request.method == "POST" else None, device=device
    )
    if form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(request, _("Two-factor authentication is set up."))
        return redirect(f"{admin_site.name}:index")
    context = {
        **admin_site.each_context(request),
        "title": _("Set up two-factor authentication"),
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=5),
        "secret": b32encode(device.bin_key).decode(),
    }
    return TemplateResponse(request, "admin/two_factor_setup.html", context)
