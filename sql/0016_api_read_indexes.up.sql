-- 0016 access paths of the API's read routes (issue 11).

-- GET /proteins/ACCESSION/predictions: a protein's predictions across every
-- prediction set, in the route's keyset order (set, term, row). The natural
-- key starts with prediction_set_id, so without this a protein's rows are a
-- scan of every set.
CREATE INDEX go_prediction_protein_accession_idx ON go_prediction (protein_accession, prediction_set_id, go_term_id);

-- GET /proteins?q=PREFIX: prefix matches on the accession, the entry name and
-- the gene name (case-insensitive for the names). text_pattern_ops, so LIKE
-- 'PREFIX%' uses them whatever the database's collation.
CREATE INDEX protein_accession_pattern_idx ON protein (accession text_pattern_ops);
CREATE INDEX protein_entry_name_pattern_idx ON protein (lower(entry_name) text_pattern_ops);
CREATE INDEX protein_gene_name_pattern_idx ON protein (lower(gene_name) text_pattern_ops);
