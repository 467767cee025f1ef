"""Database triggers that refuse UPDATE and DELETE on the LifeEvent table (renkou.core.append_only)."""

from django.db import migrations

from renkou.core.append_only import install_operation


class Migration(migrations.Migration):
    dependencies = [("register", "0004_ethnicity_choices")]

    operations = [install_operation("register", "LifeEvent")]
