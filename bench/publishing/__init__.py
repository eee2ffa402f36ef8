"""Stage 5, publishing: records, and everything derived from them (tables, figures, pages, the Hub release)."""
