-- Secret ballots by cryptography (issue 11). SQLite flavour; postgres/0006_sealed_ballots.sql
-- is the twin.
--
-- A secret poll gets a key pair when it opens. Only the public half is stored here; the
-- private half exists only as shares held by the meeting's scrutineers (any shares_needed
-- of shares_dealt rebuild it) and is never written anywhere. Every secret ballot in
-- poll_ballot.content is a sealed box to this key (base64), padded to one length per poll.
CREATE TABLE poll_key (
    poll_id BIGINT PRIMARY KEY REFERENCES poll(id),
    public_key BLOB NOT NULL,
    shares_needed BIGINT NOT NULL,
    shares_dealt BIGINT NOT NULL,
    pad_len BIGINT NOT NULL,
    created_at DATETIME NOT NULL
);
