"""Account filings (备案): the form, validation, approval chain, registry, deadlines, 备案表."""
