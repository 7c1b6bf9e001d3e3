"""NHS: GP registration, vital-sign readings, vaccinations, eye tests and long-term conditions."""
