"""The local council: council tax, housing and Blue Badges, by the citizen's postcode."""
