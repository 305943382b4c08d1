"""Page script for /inside (the page itself is ui.pages.inside_page)."""

from ui.pages import inside_page

inside_page.render()
