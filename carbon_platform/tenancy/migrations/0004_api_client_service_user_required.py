# Every API client has its service user from 0003 on. A migration of its own: on PostgreSQL, altering the
# table in the transaction that updated its rows fails with "pending trigger events".

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0003_api_client_service_user'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='apiclient',
            name='service_user',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='api_client', to=settings.AUTH_USER_MODEL),
        ),
    ]
