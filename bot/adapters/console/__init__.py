"""The web console: a page that simulates the chats of every person, and its JSON API."""
