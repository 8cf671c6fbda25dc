-- 0014 the API's audit log: one row per write request (answered or refused),
-- with the token's name (never its secret), the route, what it targeted, the
-- job it started and the client's address. Read at GET /audit (admin token).
CREATE TABLE api_audit (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ts             timestamptz NOT NULL DEFAULT now(),
  token_name     text,
  method         text        NOT NULL,
  route          text        NOT NULL,
  target         text,
  job_id         uuid,
  status_code    integer     NOT NULL,
  error_code     text,
  client_address text        NOT NULL
);
CREATE INDEX api_audit_ts_idx ON api_audit (ts DESC, id DESC);
