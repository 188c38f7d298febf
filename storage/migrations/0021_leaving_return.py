from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.duty_leaving import LeavingStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0020_wecom_bot')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='LeavingChecklist',
            name='status',
            field=fields.CharEnumField(default=LeavingStatus.PENDING, description='PENDING: pending\nOPEN: open\nCLOSED: closed\nWITHDRAWN: withdrawn', enum_type=LeavingStatus, max_length=16),
        ),
        ops.AddField(
            model_name='LeavingChecklist',
            name='note',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='LeavingChecklist',
            name='returned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
