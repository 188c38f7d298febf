from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_report_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DashToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked', fields.BooleanField(default=False)),
            ],
            options={'table': 'dash_token', 'app': 'models', 'pk_attr': 'id', 'table_description': "An operator's sign-in token for /dash, kept only as its SHA-256 hash."},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['owner_unit_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['status', 'platform']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['at']),
        ),
        ops.AddIndex(
            model_name='Filing',
            index=Index(fields=['status', 'submitted_at']),
        ),
        ops.AddIndex(
            model_name='Filing',
            index=Index(fields=['unit_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['status', 'unit_id']),
        ),
        ops.AddIndex(
            model_name='Rectification',
            index=Index(fields=['status', 'due_at']),
        ),
        ops.AddIndex(
            model_name='Rectification',
            index=Index(fields=['owner_unit_id', 'status']),
        ),
        ops.AddIndex(
            model_name='ReviewStep',
            index=Index(fields=['post_id', 'status']),
        ),
        ops.AddIndex(
            model_name='ReviewStep',
            index=Index(fields=['status', 'created_at']),
        ),
    ]
