-- 0015 the job list's keyset: GET /jobs pages newest first on
-- (created_at DESC, id DESC) with `?after=` cursors; this index serves that
-- order (and the created_after / created_before ranges) without a sort.
CREATE INDEX job_created_at_id_idx ON job (created_at DESC, id DESC);
