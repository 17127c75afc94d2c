"""The citizens' and organisations' satisfaction survey: rosters of the one-stop desks,
the seeded draw of a sample and its reserve, delivery by the post office, replacements,
and the purge of the personal data once field work is over.

Names, addresses and phones live in one table only (:class:`.models.RosterPerson`),
read by admins and post-office staff for delivery; the slot a person was given is
linked to them, a response never is.  ``survey-service roster purge GROUP`` deletes
them for good.
"""
