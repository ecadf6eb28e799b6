"""Proof under the worst conditions: ``python -m engine.torture`` (``make torture``).

The WooCommerce -> e-conomic recipe runs against both sandboxes (in a process of their own,
faults on) while the engine is killed with SIGKILL at random moments, while webhooks race the
poller, and while a second ``iex run`` is started on the same instance by mistake. Afterwards the
e-conomic sandbox is read over its API: every transferable order must have exactly one invoice,
every refund exactly one credit note, nothing else may exist, and every other record must sit in
the dead-letter store with its reason.

Modules: ``sandboxes`` (the sandbox process), ``instance`` (the instance file), ``engine``
(``iex`` subprocesses and kills), ``check`` (what e-conomic holds vs what the shop has),
``scenarios`` (the torture runs), ``__main__`` (the command).
"""
