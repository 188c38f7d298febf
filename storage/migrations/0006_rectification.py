from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.rectification import RectCategory, RectStatus, Severity
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_review')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RectFlag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('period', fields.CharField(max_length=16)),
                ('unit_id', fields.IntField()),
                ('account_id', fields.IntField(null=True)),
                ('reason', fields.TextField(default='', unique=False)),
                ('file_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rectification_flag', 'app': 'models', 'unique_together': (('kind', 'period', 'unit_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A consequence found by the quarterly/yearly checks (建议关停, 通报, 末位, 整改函).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rectification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(default='chat', max_length=100)),
                ('external_id', fields.CharField(null=True, max_length=200)),
                ('issued_by_id', fields.IntField(null=True)),
                ('supervisor_unit_id', fields.IntField()),
                ('owner_unit_id', fields.IntField()),
                ('account_id', fields.IntField(null=True)),
                ('account_label', fields.CharField(default='', max_length=300)),
                ('problem', fields.TextField(unique=False)),
                ('evidence', fields.TextField(default='', unique=False)),
                ('category', fields.CharEnumField(description='CONTENT_ERROR: content_error\nNOT_UPDATED: not_updated\nBROKEN_LINK: broken_link\nNETIZEN_REPORT: netizen_report\nMESSAGE_UNANSWERED: message_unanswered\nOTHER: other', enum_type=RectCategory, max_length=32)),
                ('severity', fields.CharEnumField(description='ORDINARY: ordinary\nSERIOUS: serious', enum_type=Severity, max_length=16)),
                ('rule_id', fields.CharField(max_length=100)),
                ('status', fields.CharEnumField(default=RectStatus.ISSUED, description='ISSUED: issued\nACKNOWLEDGED: acknowledged\nSUBMITTED: submitted\nVERIFIED: verified', enum_type=RectStatus, max_length=16)),
                ('overdue', fields.BooleanField(default=False)),
                ('ever_overdue', fields.BooleanField(default=False)),
                ('reopened', fields.IntField(default=0)),
                ('extension_pending', fields.BooleanField(default=False)),
                ('extension_reason', fields.TextField(default='', unique=False)),
                ('deadline_id', fields.BigIntField(null=True)),
                ('card_id', fields.CharField(null=True, max_length=64)),
                ('completion_note', fields.TextField(default='', unique=False)),
                ('completion_evidence', fields.TextField(default='', unique=False)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rectification', 'app': 'models', 'unique_together': (('source', 'external_id'),), 'pk_attr': 'id', 'table_description': 'One notice: who must fix what by when, and where it stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SourceToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(unique=True, max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked', fields.BooleanField(default=False)),
            ],
            options={'table': 'rectification_source_token', 'app': 'models', 'pk_attr': 'id', 'table_description': "A monitoring system's bearer token for POST /api/rectifications, stored hashed."},
            bases=['Model'],
        ),
    ]
