"""Template tags of the site: the language switcher."""
