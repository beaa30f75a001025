"""HTML and JSON for the three sandbox sites, their decoy pages, and the router mapping paths to them.

- Nattsidan (nattsida): server-rendered, region pages with numbered pagination.
- Stjärnsidan (stjarnsida): a single-page app behind an age gate; cards come from a JSON API with
  infinite scroll. Its ad pages are server-rendered.
- Kvällsidan (kvallsida): profile-centred. A catalogue of profile cards per city; each profile page
  lists all the profile's ads, and the phone number appears only after "Visa nummer" is clicked.

Every site also has decoys a naive crawler would count as ads: an "Annonsera" page, "Populära
städer" cards and review lists ("Recensioner") with card-like items linking to review pages.

The demand side (sandbox.demand): Nattsidan lists buyers' ads in its own "Söker"
section and its "Recensioner" are real buyer reviews (reviewer, date, the reviewed profile and its
place); Stjärnsidan mixes buyers' ads in with its offers. The other sites' reviews stay decoys.
"""
