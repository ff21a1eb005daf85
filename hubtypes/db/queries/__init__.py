"""hubtypes' database queries, grouped by the data they touch.

- :mod:`.logins`: the login hot path (account with its code hash, throttle counters), Core only;
- :mod:`.accounts`: accounts: create, list, change, delete, reissue codes;
- :mod:`.workshops`: workshops: create, list, change;
- :mod:`.resets`: the workshop service's persisted resets;
- :mod:`.locks`: accounts the workshop service has locked;
- :mod:`.audit`: the audit log;
- :mod:`.views`: rows to the plain records the pure decisions take.

Every function takes an open session or connection (one transaction, see
:class:`hubtypes.db.database.Database`) and, where time matters, an explicit ``now``.
None of them commits, so callers decide what is atomic. Bad input raises the errors
of :mod:`hubtypes.errors`, before anything is written.
"""
