"""Ratings after each transaction (好差评): the records, the follow-up of bad ones, the hall's
call-backs (回访) and the figures a supervisor reads. See docs/ratings.md."""
