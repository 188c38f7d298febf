from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_duty_leaving')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkerHeartbeat',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('hostname', fields.CharField(max_length=255)),
                ('pid', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('beat_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('redis_ok', fields.BooleanField(default=True)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'worker_heartbeat', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A worker process saying it is alive, read by /healthz and dutybot doctor.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='failing_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='given_up_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
