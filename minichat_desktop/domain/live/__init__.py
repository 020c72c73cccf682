"""Live selling: comments under a live video (``CF A12``) reserve stock for the commenter."""
