DROP TABLE go_prediction;
DROP TABLE prediction_set;
DROP TABLE sequence_embedding;
DROP TABLE embedding_config;
