from django.db import models


class Row(models.Model):
    """R2's table: one insert per request into a table with a unique constraint."""

    key = models.CharField(max_length=100, unique=True)

    class Meta:
        app_label = "bench_reference"

    def __str__(self):
        return self.key
