"""Pages that gather what several domains know: each role's home page and a site's page."""
