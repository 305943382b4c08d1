"""Page script for /compare (the page itself is ui.pages.compare_page)."""

from ui.pages import compare_page

compare_page.render()
