"""The in-app inbox (issue 15): messages to one person, the bell's unread count, marking read."""
