from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.enums import Platform
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_reports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BotConversation',
            fields=[
                ('conversation_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
                ('chat_type', fields.CharField(max_length=8)),
                ('first_message_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_sender', fields.CharField(default='', max_length=128)),
                ('response_url', fields.TextField(null=True, unique=False)),
                ('response_url_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bot_conversation', 'app': 'models', 'pk_attr': 'conversation_id', 'table_description': 'A WeCom intelligent-robot conversation someone has written in.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Chat',
            name='wecom_chat_id',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AlterField(
            model_name='Identity',
            name='platform',
            field=fields.CharEnumField(description='CONSOLE: console\nWECOM: wecom\nFEISHU: feishu\nWECOM_BOT: wecom_bot', enum_type=Platform, max_length=16),
        ),
        ops.AlterField(
            model_name='Person',
            name='preferred_platform',
            field=fields.CharEnumField(null=True, description='CONSOLE: console\nWECOM: wecom\nFEISHU: feishu\nWECOM_BOT: wecom_bot', enum_type=Platform, max_length=16),
        ),
    ]
