"""Storage: SQLAlchemy Core tables, the database handle and repository functions."""
