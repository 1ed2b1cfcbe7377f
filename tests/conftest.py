import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client(client, django_user_model):
    """A client logged in as a superuser with staff access to the admin."""
    user = django_user_model.objects.create_superuser(
        username="staff", email="staff@example.org", password="a-long-password-123"
    )
    client.force_login(user)
    return client
