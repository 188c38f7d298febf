from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.duty_handover import HandoverStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_duty')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DutyHandover',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField()),
                ('shift_id', fields.IntField(db_index=True)),
                ('change_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=HandoverStatus.SCHEDULED, description='SCHEDULED: scheduled\nPREPARING: preparing\nSUBMITTED: submitted\nACKNOWLEDGED: acknowledged\nCANCELLED: cancelled', enum_type=HandoverStatus, max_length=16)),
                ('outgoing_id', fields.IntField(null=True)),
                ('incoming_id', fields.IntField(null=True)),
                ('note', fields.TextField(default='', unique=False)),
                ('items', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reached', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('escalations', fields.IntField(default=0)),
                ('outgoing_card_id', fields.CharField(null=True, max_length=64)),
                ('incoming_card_id', fields.CharField(null=True, max_length=64)),
                ('escalation_card_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('deadline_id', fields.BigIntField(null=True)),
                ('prepared_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acknowledged_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_handover', 'app': 'models', 'unique_together': (('team_id', 'change_at'),), 'pk_attr': 'id', 'table_description': 'The change from one shift to the next of one team.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField()),
                ('person_id', fields.IntField()),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('handover_id', fields.IntField(null=True)),
            ],
            options={'table': 'duty_note', 'app': 'models', 'indexes': [Index(fields=['team_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A note an officer took during a shift (记录 …), handed over with the next handover.'},
            bases=['Model'],
        ),
    ]
