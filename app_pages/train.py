"""Page script for /train (the page itself is ui.pages.train_page)."""

from ui.pages import train_page

train_page.render()
