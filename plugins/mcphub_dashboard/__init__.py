"""The built-in web dashboard, served at ``/`` (see ``plugin``)."""
