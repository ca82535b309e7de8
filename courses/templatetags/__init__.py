"""Template tags of the course pages: what each page template shows, through the selectors."""
