"""The deadline engine: countdowns as database rows, fired by arq jobs and a reconciler.

- ``engine``: start / pause / resume / reschedule / complete / cancel, firing, reconciling.
- ``registry``: step handlers by name and the ``StepContext`` they receive.
- ``present``: "截止 10月9日 10:30（依据…）" and remaining time, for cards and replies.
- ``builtin``: the ``notify`` handler (plain reminders to people and chats).
- ``jobs``: the arq job and cron registered in ``bot.worker``.
- ``watch``: recompute after a calendar edit, tell admins about years without data.

See docs/deadlines.md.
"""
