from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0008_review_attachments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RectNumberCounter',
            fields=[
                ('year', fields.IntField(primary_key=True, generated=False, unique=True, db_index=True)),
                ('last_seq', fields.IntField(default=0)),
            ],
            options={'table': 'rectification_number_counter', 'app': 'models', 'pk_attr': 'year', 'table_description': 'The last notice number given out in a year (its row lock serializes numbering).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RectQuarterRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.CharField(unique=True, max_length=16)),
                ('claim', fields.CharField(max_length=32)),
                ('trigger', fields.CharField(max_length=16)),
                ('person_id', fields.IntField(null=True)),
                ('summary', fields.TextField(default='', unique=False)),
                ('files', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rectification_quarter_run', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The quarterly review of one quarter, done once.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Rectification',
            name='seq',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Rectification',
            name='year',
            field=fields.IntField(null=True),
        ),
        ops.AddConstraint(
            model_name='Rectification',
            constraint=UniqueConstraint(fields=('year', 'seq'), name=None),
        ),
    ]
