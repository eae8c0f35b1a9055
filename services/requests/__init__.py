"""Requests service: partners' requests about insured people, and their history."""
