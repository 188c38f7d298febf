from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.filing import FilingKind, FilingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_deadlines')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Filing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='OPEN: open\nCHANGE: change\nCLOSE: close\nCANCEL: cancel\nSUSPEND: suspend\nRESUME: resume\nEMERGENCY: emergency', enum_type=FilingKind, max_length=16)),
                ('status', fields.CharEnumField(default=FilingStatus.PENDING, description='PENDING: pending\nRETURNED: returned\nAPPROVED: approved\nREJECTED: rejected\nREPORTED: reported', enum_type=FilingStatus, max_length=16)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('clerk', fields.ForeignKeyField('models.Person', source_field='clerk_id', db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('step', fields.IntField(default=0)),
                ('round', fields.IntField(default=1)),
                ('opinions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('card_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('effective_on', fields.DateField(null=True)),
                ('document_id', fields.CharField(null=True, max_length=64)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'filing', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One filing: the answers of the form, where it is in the approval chain, the opinions.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('filing', fields.ForeignKeyField('models.Filing', source_field='filing_id', null=True, db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.SET_NULL)),
                ('status_before', fields.CharField(null=True, max_length=16)),
                ('status_after', fields.CharField(max_length=16)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_history', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One change of an account in the registry, and the filing that made it.'},
            bases=['Model'],
        ),
    ]
