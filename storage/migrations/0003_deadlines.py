from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.deadlines import DeadlineStatus, StepStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Deadline',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=50)),
                ('subject_type', fields.CharField(max_length=50)),
                ('subject_id', fields.CharField(max_length=100)),
                ('handler', fields.CharField(max_length=100)),
                ('status', fields.CharEnumField(default=DeadlineStatus.OPEN, description='OPEN: open\nPAUSED: paused\nCOMPLETED: completed\nCANCELLED: cancelled', enum_type=DeadlineStatus, max_length=16)),
                ('token', fields.IntField(default=1)),
                ('generation', fields.IntField(default=1)),
                ('policy_id', fields.CharField(default='', max_length=50)),
                ('rule_id', fields.CharField(default='', max_length=100)),
                ('rule', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('working_hours', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('schedule', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('start_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paused_seconds', fields.FloatField(default=0)),
                ('paused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('provisional', fields.BooleanField(default=False)),
                ('provisional_years', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('explanation', fields.TextField(default='', unique=False)),
                ('basis', fields.CharField(default='', max_length=500)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('close_reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deadline', 'app': 'models', 'indexes': [Index(fields=['subject_type', 'subject_id']), Index(fields=['status', 'due_at'])], 'pk_attr': 'id', 'table_description': 'A countdown for one subject (a rectification, a review step, a filing).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeadlineStep',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('deadline', fields.ForeignKeyField('models.Deadline', source_field='deadline_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('generation', fields.IntField()),
                ('name', fields.CharField(max_length=50)),
                ('repeat', fields.IntField(default=0)),
                ('token', fields.IntField()),
                ('fire_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=StepStatus.PENDING, description='PENDING: pending\nHELD: held\nFIRED: fired\nSKIPPED: skipped\nCANCELLED: cancelled\nFAILED: failed', enum_type=StepStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('retry_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('fired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deadline_step', 'app': 'models', 'unique_together': (('deadline', 'generation', 'name', 'repeat'),), 'indexes': [Index(fields=['status', 'fire_at'])], 'pk_attr': 'id', 'table_description': 'One planned firing of a deadline (a reminder, the due time, an escalation).'},
            bases=['Model'],
        ),
    ]
