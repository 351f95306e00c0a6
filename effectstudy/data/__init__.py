"""Reading, validation, consent, long/wide data and pre/post pairing."""
