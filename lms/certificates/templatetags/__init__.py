"""Template tags of certificates: the certificate box on "My learning"."""
