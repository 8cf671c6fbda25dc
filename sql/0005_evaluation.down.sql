DROP TABLE evaluation_result;
DROP TABLE evaluation_set;
