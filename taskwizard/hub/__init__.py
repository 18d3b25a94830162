"""Talking to a Bitfount Hub (and the local hub). No Textual."""
