"""Alembic migrations, shipped inside the package so an installed Tokenward can migrate its own database."""
