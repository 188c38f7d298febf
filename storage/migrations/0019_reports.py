from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_unit_aliases')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReportRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.CharField(unique=True, max_length=16)),
                ('kind', fields.CharField(max_length=16)),
                ('claim', fields.CharField(max_length=32)),
                ('posted', fields.BooleanField(default=False)),
                ('summary', fields.TextField(default='', unique=False)),
                ('files', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report_run', 'app': 'models', 'pk_attr': 'id', 'table_description': "The scheduled posting of one period's report, done once across replicas."},
            bases=['Model'],
        ),
    ]
