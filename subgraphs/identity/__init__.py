"""Identity: who a citizen is — name, date of birth, address, contacts, household."""
