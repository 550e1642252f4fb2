"""Stories: similarity signatures of texts, which texts are copies of one story, and matching a day at its commit."""
