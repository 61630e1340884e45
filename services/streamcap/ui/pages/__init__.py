"""One module per page of the StreamCap UI."""
