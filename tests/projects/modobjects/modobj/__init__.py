"""Text and number helpers reached through their modules."""
