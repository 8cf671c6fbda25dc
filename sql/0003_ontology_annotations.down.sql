DROP TABLE protein_go_annotation;
DROP TABLE annotation_set;
DROP TABLE go_term_relationship;
DROP TABLE go_term;
DROP TABLE ontology_snapshot;
