"""The ranges the integer columns hold, so the services can refuse a number before writing it.

SQLite stores any 64-bit integer in any INTEGER column; PostgreSQL holds ``Integer`` to 32 bits
and ``BigInteger`` to 64, and answers a wider value with a driver error.  Every number a user gives
that reaches one of these columns (or is compared with one in a query) is checked against the
narrower, PostgreSQL, range, so both databases refuse the same numbers with the same message.
"""

from __future__ import annotations

INTEGER_MAX = 2**31 - 1  # Integer: row ids, balances, counts, settings (32-bit on PostgreSQL)
BIGINT_MAX = 2**63 - 1  # BigInteger: Discord snowflakes (guild, user, role and channel ids)
