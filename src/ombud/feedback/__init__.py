"""Feedback: the satisfaction survey that follows a resolved case (regulation GV-5).

Decisions:
- The survey goes out when the case is resolved (issue 7 §7; GV-5 says "after closure",
  the issue wins), on the customer's channel and in the case's language, with a link to a
  page at ``/survey/{token}`` that needs no sign-in. The token is random (32 bytes); only
  its SHA-256 is stored.
- One survey per case, at its first resolution. A case that is reopened and resolved again
  keeps its first survey and answer: the job key ``survey:{case_id}`` makes the second
  resolution enqueue nothing, the unique ``surveys.case_id`` refuses a second row, and the
  handler returns early when the row exists.
- A case reopened (or appealed) after resolution but before the survey job ran is not
  surveyed mid-way: the job checks again every 12 hours and sends once the case is resolved
  or closed again; after 30 days of waiting, or when the case ends withdrawn, rejected or
  merged, no survey is sent and ``survey.skipped`` is audited.
- Delivery: always a public message on the case (the portal shows it); an email case, and a
  web, API or chat customer with an email address, also gets a mail (``notify.email``); a
  Telegram, Messenger or X case gets a private message where the customer last wrote from
  (``social.send``), or a mail when that address is unknown. Messenger refuses automated
  messages 24 hours after the customer's last one: ``social.send`` then notes on the case
  that it was not delivered, and the survey stays reachable from the case message.
- An answer (CSAT 1-5, NPS 0-10, optional comment) is accepted once, until the link
  expires (``OMBUD_SURVEY_VALID_DAYS``); it is audited on the case's chain.
"""
