from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_reliability')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoredFileContent',
            fields=[
                ('file_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'stored_file_content', 'app': 'models', 'pk_attr': 'file_id', 'table_description': 'The bytes of a stored file, in the database so that every replica reaches them.'},
            bases=['Model'],
        ),
    ]
