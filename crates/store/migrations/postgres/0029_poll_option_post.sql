-- The post (职务) a candidate or a reviewed cadre holds, as the congress office writes it
-- ("副校长", "工会主席"): shown beside the name on the ballot (issue 25). Optional; plain
-- text, not personal data beyond what the ballot already names.
ALTER TABLE poll_option ADD COLUMN post TEXT;
