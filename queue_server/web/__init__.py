"""The web layer: thin blueprints and Socket.IO namespaces over the queue desk."""
