"""Database triggers that refuse UPDATE and DELETE on the Decision table (renkou.core.append_only)."""

from django.db import migrations

from renkou.core.append_only import install_operation


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_initial")]

    operations = [install_operation("benefits", "Decision")]
