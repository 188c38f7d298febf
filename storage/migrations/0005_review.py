from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models.review import PostStatus, StepStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_filing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountUpdate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(db_index=True)),
                ('post_id', fields.IntField(null=True)),
                ('link', fields.CharField(max_length=1000)),
                ('published_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('reported_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_update', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A publication on an account (已发布): the data for update-frequency thresholds.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author_id', fields.IntField(db_index=True)),
                ('author_platform', fields.CharField(default='', max_length=16)),
                ('unit_id', fields.IntField()),
                ('title', fields.CharField(max_length=200)),
                ('status', fields.CharEnumField(default=PostStatus.DRAFT, description='DRAFT: draft\nIN_REVIEW: in_review\nRETURNED: returned\nAPPROVED: approved\nREJECTED: rejected\nWITHDRAWN: withdrawn\nPUBLISHED: published', enum_type=PostStatus, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('level', fields.IntField(default=0)),
                ('levels', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checks', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('policy_id', fields.CharField(max_length=32)),
                ('account_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('repost', fields.BooleanField(default=False)),
                ('source', fields.CharField(default='', max_length=300)),
                ('major_policy', fields.BooleanField(default=False)),
                ('allow_same_person', fields.BooleanField(default=False)),
                ('last_urged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_link', fields.CharField(null=True, max_length=1000)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'review_post', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A post submitted for review, its levels snapshotted from the preset at submission.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('title', fields.CharField(max_length=200)),
                ('text', fields.TextField(unique=False)),
                ('link', fields.CharField(default='', max_length=1000)),
                ('findings', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('override_reason', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'review_post_version', 'app': 'models', 'unique_together': (('post', 'number'),), 'pk_attr': 'id', 'table_description': 'One version of the text, with its pre-review check and the reason to submit anyway.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewStep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('level', fields.IntField()),
                ('level_name', fields.CharField(max_length=50)),
                ('approver_id', fields.IntField()),
                ('delegated_from_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=StepStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nRETURNED: returned\nREJECTED: rejected\nCANCELLED: cancelled', enum_type=StepStatus, max_length=16)),
                ('decided_by_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('comment', fields.TextField(default='', unique=False)),
                ('checks', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('card_id', fields.CharField(null=True, max_length=64)),
                ('deadline_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'review_step', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One level of one version: who must decide, who did, what and when.'},
            bases=['Model'],
        ),
    ]
