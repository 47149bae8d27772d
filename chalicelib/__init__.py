"""Hewei (和为贵): the back end of one-stop dispute mediation centres."""
