from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_rect_quarter')]

    initial = False

    operations = [
        ops.RemoveField(model_name='RectNumberCounter', name='year'),
        ops.AddField(
            model_name='RectNumberCounter',
            name='year',
            field=fields.IntField(primary_key=True, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='RectNumberCounter',
            index=Index(fields=['year']),
        ),
    ]
