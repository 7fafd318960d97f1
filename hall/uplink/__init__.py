"""Reporting up (三级平台): a hall's events go to its parent (a county's or city's server),
which shows all its halls on one page; a parent may report to its own parent in turn.

- `wire`: what an event looks like on the way up, and what of it may go (an allow-list of
  fields per event kind: no person hash, ID number, name or phone number ever leaves).
- `regions`: the administrative codes a parent's tree is made of.
- `sender`: the loop that sends a hall's event log (or, on a parent, what its halls sent)
  after the last id the parent acknowledged.
- `receiver`: the parent's side: its halls and their tokens, each batch stored once and in
  order, the figures of each hall's day kept as the events arrive.
- `central`: what the central page shows, read from those figures.
- `down`: the steps the parent's staff take on the cases a hall sent up to be decided there,
  carried back with each answer and applied at the hall once, in order.
"""
