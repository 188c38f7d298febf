"""Shared test support: everything tests import besides fixtures lives here.

- ``chat``: the console chat harness (``ChatHarness``), time travel (``advance``) and the
  check that fails a test on messages nobody looked at.
- ``dates``: the test time zone and the moments tests start from.
- ``policy``: switching the policy preset (and review options) for one test.
- ``orgs``: small organisations for the platform tests, and loading one.
- ``filing``, ``review``, ``rectification``: walking each flow's forms as a person would.
- ``platforms``: one chat harness per platform (console, WeCom, Feishu) behind one interface,
  for the scenarios every platform must carry.
- ``wecom``, ``feishu``: the fake platforms' settings and fixtures.
- ``processes``: real ``dutybot serve`` / ``worker`` processes for end-to-end tests.
- ``proc``: running the ``dutybot`` command line.

Test modules never import each other; what two test modules share belongs here.
See docs/testing.md.
"""
