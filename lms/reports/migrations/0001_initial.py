from django.db import migrations, models
import django.core.validators


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="YearlyTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(unique=True, validators=[
                    django.core.validators.MinValueValidator(2000)], verbose_name="year")),
                ("target", models.PositiveIntegerField(verbose_name="target (certified people)")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
            ],
            options={"verbose_name": "yearly target", "verbose_name_plural": "yearly targets",
                     "ordering": ["year"]},
        ),
    ]
