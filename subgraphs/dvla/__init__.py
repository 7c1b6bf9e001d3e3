"""DVLA: driving licences, endorsements and the vehicles a citizen keeps (Great Britain)."""
