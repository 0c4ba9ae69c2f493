"""An index of the replies (posts whose ``reply_to`` is set), by source: the batch that brings a post
finds the replies that arrived before it (``replies.early_replies``). Partial, so the posts that answer
nothing — most of a firehose — cost no insertion. Adding an index does not rebuild the table on SQLite
(the full-text triggers of 0002 stay)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0013_lean_hot_writes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("reply_to", ""), _negated=True),
                fields=["source_key", "reply_to"],
                name="post_reply_to",
            ),
        ),
    ]
