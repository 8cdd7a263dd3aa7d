# Studies: see docs/studies.md
