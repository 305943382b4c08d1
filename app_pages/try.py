"""Page script for /try (the page itself is ui.pages.try_page)."""

from ui.pages import try_page

try_page.render()
