"""Announcement text, Vietnamese number reading, TTS engines, clip packs and the player."""
