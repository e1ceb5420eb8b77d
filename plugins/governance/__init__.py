"""Governance of an association: general meetings, votes, minutes, elections, petitions and
exclusion of members."""
