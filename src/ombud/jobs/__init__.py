"""Jobs: work that must happen after commit, as rows in the system-of-record database."""
