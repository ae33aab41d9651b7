"""What the public sees: lobby TV, counter-top display, kiosk, ticket status page."""
