"""Cover art: choosing a folder's image, thumbnails, placeholders, the store and the route.

Import the submodules you need. Only ``thumbnails`` and ``make`` load Pillow; a server
worker imports ``urls``, ``store`` and ``routes`` and never decodes an image.
"""
