from django.conf import settings


def site(request):
    """Expose the site's name to every template."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
