"""Citizens' consent: records per purpose, their hash-chained history, and their stores.

The gateway's policy decisions read consent here (`ConsentStore.read`, one
query per batch of citizens); the consent service writes it. Every change
bumps the citizen's version, so readers cache by version, never by time.
"""
