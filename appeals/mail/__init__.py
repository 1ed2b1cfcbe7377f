"""Every email the site sends goes through one queue in PostgreSQL.

    sign request ──> Signature.email_due ──intake──> OutgoingEmail ──sender──> SMTP
    other writes ──services.queue_email()─────────────┘

- render: the one place an email is written (language, one-line subject, From).
- wire: the message as the bytes an SMTP server is given; the address check.
- intake: the mailer turns what signature rows owe into queued emails, after
  counting new submissions against the rate limits.
- fanout: the mailer turns an update going out into one queued email per signer
  who asked for updates, a slice of signatures at a time.
- sender: claims due emails with a lease, sends each over a kept connection,
  records each outcome (sent, waiting to retry, failed, no longer needed).
- mailer: the process that runs intake and the senders and survives faults.
- status: what staff see of the queue (admin, `manage.py mail_status`) and of an
  update going out.

Emails written at once (data access, Join us, typo reports) are queued by
appeals.services.queue_email, in the transaction of what they are about.
README "How signing works" tells the whole story.
"""
