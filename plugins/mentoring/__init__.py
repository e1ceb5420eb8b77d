"""Mentoring: programmes that pair experienced teachers with young specialists, with optimal
matching, a pairing lifecycle, development plans, meeting logs, lesson observations and
reports for the school's methodological council."""
