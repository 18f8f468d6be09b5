"""The editor's page (`curate serve`): routes in app.py, store actions in actions.py."""
