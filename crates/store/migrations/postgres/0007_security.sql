-- Issue 12: who may act for whom, and the audit head. PostgreSQL flavour; the SQLite twin
-- has the same name.

-- The head row carries a MAC under the audit key, so that it cannot be moved back onto an
-- earlier record (a rewound head with a removed tail). NULL only before the first start
-- with this migration seals it.
ALTER TABLE audit_head ADD COLUMN mac BYTEA;

-- Who used a delegate card's code to check in, and from where (the desk's account, or the
-- address of an unattended phone). Never linked to a ballot.
ALTER TABLE check_in_code ADD COLUMN used_by BIGINT;
ALTER TABLE check_in_code ADD COLUMN used_from TEXT;
