"""Alembic migrations of the hall's database, the kiosk's SQLite file and the server's alike.

HEAD names the newest revision, so that a database already at it is opened without loading
Alembic (a kiosk starts faster); a test checks that it matches the scripts in versions/.
BASELINE is the schema of the first release, whose databases carry no revision at all.
"""

HEAD = "0018"
BASELINE = "0001"
