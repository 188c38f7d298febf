from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.duty import ShiftMode, ShiftSlot, ShiftSource, SwapStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_rect_quarter')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DutyOverride',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField(db_index=True)),
                ('shift_id', fields.IntField(db_index=True)),
                ('previous_id', fields.IntField()),
                ('person_id', fields.IntField()),
                ('by_id', fields.IntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_override', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The duty lead gave a shift to someone else ("12月5日白班由老刘值").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutySwap',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.IntField(db_index=True)),
                ('shift_id', fields.IntField(db_index=True)),
                ('requester_id', fields.IntField()),
                ('candidates', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('declined', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('taker_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=SwapStatus.OPEN, description='OPEN: open\nACCEPTED: accepted\nDONE: done\nDECLINED: declined\nREFUSED: refused\nCANCELLED: cancelled\nEXPIRED: expired', enum_type=SwapStatus, max_length=16)),
                ('needs_approval', fields.BooleanField(default=True)),
                ('reason', fields.TextField(default='', unique=False)),
                ('decided_by_id', fields.IntField(null=True)),
                ('note', fields.TextField(default='', unique=False)),
                ('request_card_id', fields.CharField(null=True, max_length=64)),
                ('approval_card_id', fields.CharField(null=True, max_length=64)),
                ('deadline_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_swap', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A request to hand a shift to a named colleague, and where it stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyTeam',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('unit_id', fields.IntField()),
                ('lead_id', fields.IntField(null=True)),
                ('chat_id', fields.IntField(null=True)),
                ('mode', fields.CharEnumField(default=ShiftMode.DAY_NIGHT, description='FULL: full\nDAY_NIGHT: day_night', enum_type=ShiftMode, max_length=16)),
                ('day_start', fields.CharField(default='08:30', max_length=5)),
                ('night_start', fields.CharField(default='20:30', max_length=5)),
                ('swap_approval', fields.BooleanField(default=True)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'duty_team', 'app': 'models', 'pk_attr': 'id', 'table_description': "A duty team: a unit's own duty or a central duty office watching several units."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyRotation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.DutyTeam', source_field='team_id', db_constraint=True, to_field='id', related_name='rotations', on_delete=OnDelete.CASCADE)),
                ('holiday', fields.BooleanField(default=False)),
                ('effective_from', fields.DateField()),
                ('people', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(default='', max_length=100)),
            ],
            options={'table': 'duty_rotation', 'app': 'models', 'unique_together': (('team', 'holiday', 'effective_from'),), 'pk_attr': 'id', 'table_description': 'The order people take shifts in, from a date on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyScope',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.DutyTeam', source_field='team_id', db_constraint=True, to_field='id', related_name='scope_rows', on_delete=OnDelete.CASCADE)),
                ('unit_id', fields.IntField(db_index=True)),
            ],
            options={'table': 'duty_scope', 'app': 'models', 'unique_together': (('team', 'unit_id'),), 'pk_attr': 'id', 'table_description': 'A unit whose accounts the team watches (patrols, activity, alerts).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyShift',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.DutyTeam', source_field='team_id', db_constraint=True, to_field='id', related_name='shifts', on_delete=OnDelete.CASCADE)),
                ('duty_date', fields.DateField()),
                ('slot', fields.CharEnumField(description='FULL: full\nDAY: day\nNIGHT: night', enum_type=ShiftSlot, max_length=8)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('person_id', fields.IntField(db_index=True)),
                ('rostered_id', fields.IntField()),
                ('holiday', fields.BooleanField(default=False)),
                ('holiday_name', fields.CharField(default='', max_length=32)),
                ('source', fields.CharEnumField(default=ShiftSource.ROTATION, description='ROTATION: rotation\nOVERRIDE: override\nSWAP: swap', enum_type=ShiftSource, max_length=16)),
                ('rotation_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_shift', 'app': 'models', 'unique_together': (('team', 'starts_at'),), 'pk_attr': 'id', 'table_description': 'One shift of one team: who holds it, from when to when.'},
            bases=['Model'],
        ),
    ]
