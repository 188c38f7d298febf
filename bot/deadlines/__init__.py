"""The deadline engine: countdowns as database rows, fired by arq jobs and a reconciler.

- ``planning``: pure — due times, step times and explanations from rules, schedules and ``now``.
- ``lifecycle``: start / pause / resume / reschedule / complete / cancel / recompute.
- ``firing``: fire one step at most once, with its handler, in one transaction.
- ``reconciler``: fire whatever is due and was not fired; keeps the ``watch`` on the calendar.
- ``watch``: recompute after a calendar edit, tell admins about years without data.
- ``registry``: step handlers by name and the ``StepContext`` they receive.
- ``present``: "截止 10月9日 10:30（依据…）" and remaining time, for cards and replies.
- ``builtin``: the ``notify`` handler (plain reminders to people and chats).
- ``jobs``: the arq job and cron registered in ``bot.worker``.

See docs/deadlines.md.
"""
