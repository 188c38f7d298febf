from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0021_leaving_return')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Rectification',
            index=Index(fields=['issued_at']),
        ),
        ops.AddIndex(
            model_name='ReviewStep',
            index=Index(fields=['decided_at']),
        ),
    ]
