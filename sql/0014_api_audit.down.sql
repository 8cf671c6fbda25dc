DROP TABLE api_audit;
