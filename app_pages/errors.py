"""Page script for /errors (the page itself is ui.pages.errors_page)."""

from ui.pages import errors_page

errors_page.render()
