// desktop panel: call_controls (listens for the desktop:snapshot event; window.Desktop has post/refresh/el/text/socket)
