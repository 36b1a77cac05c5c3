-- Issue 17: evidence files of a staff-home self-assessment, one or more per standard of the
-- scheme. The type is proved by the content (JPEG, PNG or PDF) before a row is written, and
-- a file is served only to a reader in the scope of its school.

CREATE TABLE home_evidence (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES home_application(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    -- The standard's code in the application's scheme version.
    standard TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- Proved by the content before the row is written (store::kit::sniff_proof), as receipts.
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    body BLOB NOT NULL,
    uploaded_by BIGINT REFERENCES account(id),
    uploaded_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX home_evidence_application ON home_evidence (application_id, id);
CREATE INDEX home_evidence_school ON home_evidence (school_union_id, id);
