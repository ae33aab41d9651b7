"""What clerks use: console, keypad commands, rating (coming issues)."""
