"""Working calendar, deadline rules and their Chinese explanations (pure, no I/O but the file).

- ``calendar``: which days are working days (official data, the override file, the weekday
  rule) and the working hours of a preset.
- ``overrides``: the admin's calendar file for years the official data does not cover.
- ``rules``: deadline rules as data and the pure function from rule + start + calendar to due.
- ``explain``: "依据《…》第十五条：…，截止 10月9日 10:30" and remaining-time texts.
"""
