"""Master classes: events of associations with registration, waitlist, series, calendars,
reminders, attendance, feedback and certificates."""
