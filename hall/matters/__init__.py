"""Matters (事项) and their cases (办件): the hall's catalogue, the cases opened at its counters
with their deadlines in working days, and their supervision (电子监察); and the cases accepted
below and decided above (`referrals`: 县务镇办)."""
