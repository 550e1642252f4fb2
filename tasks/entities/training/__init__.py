"""Recipes that train the NER pipelines shipped in `tasks/entities/pipelines/` from public corpora (make train-ner)."""
