-- Issue 13: month-only join dates keep their precision; answers to the roster import's
-- value-mapping questions are remembered per unit.
ALTER TABLE member ADD COLUMN join_date_precision TEXT NOT NULL DEFAULT 'day' CHECK (join_date_precision IN ('day', 'month'));

CREATE TABLE import_value_map (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    field TEXT NOT NULL,
    source_value TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    created_by BIGINT,
    UNIQUE (org_unit_id, field, source_value)
);
