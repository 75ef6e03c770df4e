"""``odyssey fix``: the atomic auto-fixer.

Layers, each its own module:

- ``operations``: findings -> candidate operations (moves, renames, removals, link replacements) and ``PathMap``;
- ``plan``: the planner: the new tree, every link that changes meaning rewritten, what cannot be done exactly dropped;
- ``rewrite``: where a link target is written, byte-exact edits; ``navedit``: mkdocs.yml nav entries edited in place;
- ``render``: the plan as a diff; ``journal``: all-or-nothing apply and recovery; ``gitindex``: ``git mv`` semantics;
- ``recovery``: the hook every ``odyssey`` command runs first; ``command``: the ``odyssey fix`` command.
"""
