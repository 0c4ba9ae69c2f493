"""Which band keys a topic member is stored under, as a 16-bit mask on the member row: a worker bringing
its copy of an organisation's index up to date (members another worker added) computes the keys from
the signature instead of reading the band rows (see ``topic_index._add_rows``). A nullable column:
added without rewriting the table on either database; members stored before it keep NULL and have
their band rows read as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0009_hot_table_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="topicmember",
            name="band_mask",
            field=models.IntegerField(null=True),
        ),
    ]
