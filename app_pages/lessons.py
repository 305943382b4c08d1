"""Page script for /lessons (the page itself is ui.pages.lessons_page)."""

from ui.pages import lessons_page

lessons_page.render()
