-- Issue 19: letters and visits (来信来访). SQLite flavour; postgres/0022_petition.sql is
-- the twin.
--
-- The petitioner's name and phone, the matter and the reply are personal data: sealed to
-- their row (`*_enc`, store::rights::AREA.encrypted). Lists show name_mask (the family name
-- and a mask) and never decrypt; the full view is audited. The deadlines are computed at
-- intake from the local rules (本地规定) and stored with the row.

CREATE TABLE petition (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    channel TEXT NOT NULL CHECK (channel IN ('letter', 'visit', 'phone', 'online')),
    category TEXT NOT NULL CHECK (category IN ('pay', 'title', 'contract', 'welfare', 'management', 'other')),
    collective BOOLEAN NOT NULL,
    received_on DATE NOT NULL,
    accept_by DATE NOT NULL,
    conclude_by DATE NOT NULL,
    name_mask TEXT NOT NULL,
    name_enc BLOB NOT NULL,
    phone_enc BLOB,
    matter_enc BLOB NOT NULL,
    owner TEXT,
    assigned_on DATE,
    status TEXT NOT NULL CHECK (status IN ('received', 'assigned', 'answered', 'closed')),
    reply_enc BLOB,
    replied_on DATE,
    satisfaction TEXT CHECK (satisfaction IN ('satisfied', 'basic', 'dissatisfied')),
    closed_on DATE,
    created_by BIGINT REFERENCES account(id),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX petition_unit ON petition (org_unit_id, status);
CREATE INDEX petition_due ON petition (status, conclude_by);
