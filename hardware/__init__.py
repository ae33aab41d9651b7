"""Device drivers, simulators and the device agent; imports nothing from the web layer."""
