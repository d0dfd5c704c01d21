"""Campaigns (专项行动): plan rounds over a scope of sites, record coverage, see who is behind."""
