"""Open Badges 3.0 credentials of certificates (W3C Verifiable Credentials Data Model 2.0).

- ``contexts/``: the JSON-LD contexts, shipped byte for byte (see its README); the document
  loader of :mod:`.documents` serves only these and never fetches anything.
- :mod:`.signing`: the ``Signer`` interface and the Ed25519 key (from the environment).
- :mod:`.proofs`: ``eddsa-rdfc-2022`` Data Integrity proofs (W3C vc-di-eddsa).
- :mod:`.issue`: the credential of a certificate and the documents this site publishes.
- :mod:`.status`: the revocation status list (W3C Bitstring Status List).
- :mod:`.verify`: checking a credential (proof, validity period, status).
"""
