-- Issues 15 and 23: versions of the rule sets that are one document of numbers (the
-- reminders' lead times and escalation chains, the news points per placement level). A
-- version is never edited: a change is a new row, and each decision names the row's id.
CREATE TABLE area_rule_set (
    id INTEGER PRIMARY KEY,
    area TEXT NOT NULL,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    version BIGINT NOT NULL,
    numbers TEXT NOT NULL,
    note TEXT,
    created_by BIGINT REFERENCES account(id),
    created_at DATETIME NOT NULL,
    UNIQUE (area, org_unit_id, version)
);
