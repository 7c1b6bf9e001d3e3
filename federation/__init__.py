"""The federation gateway: compose, plan, decide, fetch, merge, record."""
