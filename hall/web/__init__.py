"""The hall server's pages: staff console, hall display, phone page, device health."""
