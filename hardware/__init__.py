"""Device drivers, simulators and the device agent (coming issues); imports nothing from the web layer."""
