DROP TABLE query_set_entry;
DROP TABLE query_set;
DROP TABLE taxonomy;
DROP TABLE protein_uniprot_metadata;
DROP TABLE protein;
DROP TABLE sequence;
