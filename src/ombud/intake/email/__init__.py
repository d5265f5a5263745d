"""Email intake and replies: parsing, threading, loop detection, SMTP/LMTP and IMAP."""
