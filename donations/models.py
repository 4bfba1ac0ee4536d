"""Donation records; the money path arrives with the donations issue (see docs/ARCHITECTURE.md)."""
