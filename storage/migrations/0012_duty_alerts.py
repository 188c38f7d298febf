from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.duty_alerts import AlertSeverity, AlertSource, AlertStatus, PatrolResult
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_duty_handover')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActivityFlag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField()),
                ('kind', fields.CharField(max_length=32)),
                ('period', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('alert_id', fields.IntField(null=True)),
            ],
            options={'table': 'duty_activity_flag', 'app': 'models', 'unique_together': (('account_id', 'kind', 'period'),), 'pk_attr': 'id', 'table_description': 'The activity monitor spoke about an account for a period: exactly once per key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField(db_index=True)),
                ('severity', fields.CharEnumField(description='ORDINARY: ordinary\nSERIOUS: serious\nOPINION: opinion', enum_type=AlertSeverity, max_length=16)),
                ('status', fields.CharEnumField(default=AlertStatus.OPEN, description='OPEN: open\nACKNOWLEDGED: acknowledged\nRESOLVED: resolved\nRECTIFYING: rectifying', enum_type=AlertStatus, max_length=16)),
                ('source', fields.CharEnumField(description='REPORT: report\nAPI: api\nPATROL: patrol\nACTIVITY: activity', enum_type=AlertSource, max_length=16)),
                ('source_name', fields.CharField(default='', max_length=64)),
                ('external_id', fields.CharField(null=True, max_length=200)),
                ('dedupe_key', fields.CharField(null=True, unique=True, max_length=300)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('link', fields.CharField(default='', max_length=1000)),
                ('file_id', fields.CharField(null=True, max_length=64)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='duty_alerts', on_delete=OnDelete.RESTRICT)),
                ('reported_by', fields.ForeignKeyField('models.Person', source_field='reported_by_id', null=True, db_constraint=True, to_field='id', related_name='reported_alerts', on_delete=OnDelete.RESTRICT)),
                ('raised_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('responsible_id', fields.IntField(null=True)),
                ('level', fields.SmallIntField(default=0)),
                ('reached_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('acknowledged_by_id', fields.IntField(null=True)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by_id', fields.IntField(null=True)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolution_note', fields.TextField(default='', unique=False)),
                ('rectification_id', fields.IntField(null=True)),
                ('deadline_id', fields.IntField(null=True)),
                ('card_id', fields.CharField(null=True, max_length=64)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'duty_alert', 'app': 'models', 'indexes': [Index(fields=['team_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One alert of a duty team, from raising to resolution.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PatrolRound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField(db_index=True)),
                ('shift_id', fields.IntField(unique=True)),
                ('person_id', fields.IntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('checklist', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('account_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('card_id', fields.CharField(null=True, max_length=64)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_patrol_round', 'app': 'models', 'pk_attr': 'id', 'table_description': "A shift's patrol: the preset's checklist for every account in the team's scope."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PatrolCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('models.PatrolRound', source_field='round_id', db_constraint=True, to_field='id', related_name='checks', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('item', fields.SmallIntField()),
                ('result', fields.CharEnumField(description='OK: ok\nABNORMAL: abnormal', enum_type=PatrolResult, max_length=16)),
                ('note', fields.TextField(default='', unique=False)),
                ('by_id', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('alert_id', fields.IntField(null=True)),
            ],
            options={'table': 'duty_patrol_check', 'app': 'models', 'unique_together': (('round', 'account_id', 'item'),), 'pk_attr': 'id', 'table_description': 'One item of the checklist for one account, as the officer recorded it.'},
            bases=['Model'],
        ),
    ]
