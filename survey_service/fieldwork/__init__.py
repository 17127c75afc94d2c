"""Field work of the post office: slots and printable cards, hand-out, void and replace,
paper entry, and the progress dashboard."""
