from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_stored_files')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Unit',
            name='aliases',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads, null=True),
        ),
        ops.AddField(
            model_name='Unit',
            name='former_names',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads, null=True),
        ),
        # Existing units get empty lists, so the next `org load` of an unchanged file reports
        # no change (NULL would differ from the file's []).
        ops.RunSQL(
            [
                "UPDATE unit SET aliases = '[]' WHERE aliases IS NULL",
                "UPDATE unit SET former_names = '[]' WHERE former_names IS NULL",
            ],
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
