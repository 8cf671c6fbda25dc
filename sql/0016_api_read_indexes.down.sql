DROP INDEX IF EXISTS protein_gene_name_pattern_idx;
DROP INDEX IF EXISTS protein_entry_name_pattern_idx;
DROP INDEX IF EXISTS protein_accession_pattern_idx;
DROP INDEX IF EXISTS go_prediction_protein_accession_idx;
