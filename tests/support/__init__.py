"""Shared test support: everything tests import besides fixtures lives here.

- ``chat``: the console chat harness (``ChatHarness``), expectations, and the check that fails
  a test on messages to chats it never looked at (``harness_on``).
- ``travel``: time travel in one call (``advance``), delivering the outbox (``drain``,
  ``settle``, ``deliver_all``).
- ``dates``: the test time zone and the moments tests start from.
- ``policy``: switching the policy preset (and review options) for one test.
- ``orgs``: small organisations for the platform tests, and loading one.
- ``filing``, ``review``, ``rectification``: walking each flow's forms as a person would.
- ``platforms``: one chat harness per platform (console, WeCom, Feishu) behind one interface,
  in process or through real processes, for the scenarios in ``tests/platforms/``.
- ``wecom``, ``feishu``: the fake platforms' settings and fixtures.
- ``processes``: real ``dutybot serve`` / ``worker`` processes.
- ``proc``, ``orgfiles``: running the ``dutybot`` command line; org-file helpers.

Test modules never import each other; what two test modules share belongs here.
See docs/testing.md.
"""
