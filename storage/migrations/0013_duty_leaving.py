from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.duty_leaving import LeavingItemKind, LeavingReason, LeavingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_duty_alerts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LeavingChecklist',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='leaving_checklists', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='leaving_checklists', on_delete=OnDelete.RESTRICT)),
                ('moved_to_unit_id', fields.IntField(null=True)),
                ('reason', fields.CharEnumField(description='REMOVED: removed\nMOVED: moved', enum_type=LeavingReason, max_length=16)),
                ('status', fields.CharEnumField(default=LeavingStatus.PENDING, description='PENDING: pending\nOPEN: open\nCLOSED: closed', enum_type=LeavingStatus, max_length=16)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deadline_id', fields.BigIntField(null=True)),
                ('card_id', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'duty_leaving', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One person leaving one unit: written by ``org load``, opened and tracked by the duty flow.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeavingItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('checklist', fields.ForeignKeyField('models.LeavingChecklist', source_field='checklist_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('kind', fields.CharEnumField(description='FILING: filing\nPOST: post\nREVIEW_STEP: review_step\nRECTIFICATION: rectification\nSHIFTS: shifts\nPLEDGE: pledge\nPASSWORD: password', enum_type=LeavingItemKind, max_length=16)),
                ('subject_type', fields.CharField(default='', max_length=32)),
                ('subject_id', fields.IntField(null=True)),
                ('label', fields.TextField(unique=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_by_id', fields.IntField(null=True)),
            ],
            options={'table': 'duty_leaving_item', 'app': 'models', 'unique_together': (('checklist', 'position'),), 'pk_attr': 'id', 'table_description': 'One thing to hand over, sign or change, confirmed by a tap of the unit head.'},
            bases=['Model'],
        ),
    ]
