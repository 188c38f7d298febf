from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.filing import FilingStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_rectification')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Filing',
            name='status',
            field=fields.CharEnumField(default=FilingStatus.PENDING, description='PENDING: pending\nRETURNED: returned\nAPPROVED: approved\nREJECTED: rejected\nREPORTED: reported\nWITHDRAWN: withdrawn\nSUPERSEDED: superseded', enum_type=FilingStatus, max_length=16),
        ),
    ]
