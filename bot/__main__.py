"""``python -m bot`` is the same as the ``dutybot`` command."""

from bot.cli import main

main()
