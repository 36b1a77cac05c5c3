-- Issue 12: a delegate who checks in on their own phone receives a fresh voting code there,
-- shown once; the printed card's unused code is deleted at the same moment. The fresh code
-- is stored like a card's (its hash only) and is marked as given to the phone, so that it
-- votes although the check-in was made by phone, not by a card. Never linked to a ballot.
ALTER TABLE check_in_code ADD COLUMN on_phone BOOLEAN NOT NULL DEFAULT FALSE;
