"""Demo data: a working call with cities, reviewers and reviews, for a first look."""
