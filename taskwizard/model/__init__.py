"""Bitfount's file formats and their validation. Pure Python: no Textual, no httpx."""
