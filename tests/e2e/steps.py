"""A person in a browser, who works the pages in one of three ways:

- "mouse": clicks and typing, with JavaScript on (the common case);
- "nojs": the same, with JavaScript off in the browser (old phones, strict settings);
- "keyboard": Tab to reach each control, then typing, Space and Enter; never a click
  (and JavaScript on), as a keyboard or switch user works.

Every page the person reaches is handed to checks.inspect (axe, and the page-weight list).
"""

from __future__ import annotations

import re

from . import checks
from .browser import totp_code

MAX_TABS = 250


class Person:
    def __init__(self, context, base: str, mode: str = "mouse"):
        assert mode in ("mouse", "nojs", "keyboard")
        self.page = context.new_page()
        self.base = base
        self.mode = mode

    # -- looking -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.page.url

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def sees(self, *phrases: str) -> None:
        text = self.text()
        for phrase in phrases:
            assert phrase in text, f"{phrase!r} not on {self.page.url}:\n{text[:3000]}"

    def _arrived(self) -> None:
        checks.inspect(self.page, axe=self.mode != "nojs")

    # -- moving --------------------------------------------------------------------------

    def go(self, path: str) -> None:
        """Type an address (or open a bookmark or an emailed link)."""
        self.page.goto(path if path.startswith("http") else self.base + path)
        self._arrived()

    def _focus(self, locator) -> None:
        handle = locator.element_handle()
        for _ in range(MAX_TABS):
            if self.page.evaluate("el => document.activeElement === el", handle):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{locator} cannot be reached with the Tab key on {self.page.url}")

    def _activate(self, locator) -> None:
        if self.mode == "keyboard":
            self._focus(locator)
            self.page.keyboard.press("Enter")
        else:
            locator.click()

    def follow(self, text: str | re.Pattern) -> None:
        """Follow the link with this text."""
        link = self.page.locator("main a, header a, nav a").filter(has_text=text).first
        with self.page.expect_navigation():
            self._activate(link)
        self._arrived()

    def press(self, text: str | re.Pattern) -> None:
        """Press the button with this text (and wait for the page it leads to)."""
        button = self.page.locator("main button").filter(has_text=text).first
        with self.page.expect_navigation():
            self._activate(button)
        self._arrived()

    def has_button(self, text: str | re.Pattern) -> bool:
        return self.page.locator("main button").filter(has_text=text).count() > 0

    # -- filling -------------------------------------------------------------------------

    def fill(self, selector: str, value: str) -> None:
        field = self.page.locator(selector).first
        if self.mode == "keyboard":
            self._focus(field)
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(value)
        else:
            field.fill(value)

    def tick(self, selector: str, on: bool = True) -> None:
        """Tick (or untick) a checkbox, or choose a radio button."""
        box = self.page.locator(selector).first
        if box.is_checked() == on:
            return
        if self.mode != "keyboard":
            box.set_checked(on)
            return
        if box.get_attribute("type") == "radio":
            # Tab reaches a radio group once; the arrow keys move the choice within it.
            name = box.get_attribute("name")
            group = self.page.locator(f"input[type=radio][name='{name}']")
            self._focus_any(group)
            for _ in range(group.count() + 1):
                if box.is_checked():
                    return
                self.page.keyboard.press("ArrowDown")
            raise AssertionError(f"could not choose {selector} with the arrow keys")
        self._focus(box)
        self.page.keyboard.press("Space")
        assert box.is_checked() == on

    def _focus_any(self, group) -> None:
        handles = [group.nth(i).element_handle() for i in range(group.count())]
        for _ in range(MAX_TABS):
            if self.page.evaluate("els => els.includes(document.activeElement)", handles):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{group} cannot be reached with the Tab key")

    def choose(self, selector: str, label: str) -> None:
        """Choose an option of a select by its visible text."""
        select = self.page.locator(selector).first
        if self.mode == "keyboard":
            self._focus(select)
            value = select.evaluate(
                "(s, label) => [...s.options].find(o => o.text.trim() === label).value", label
            )
            for _ in range(60):
                if select.input_value() == value:
                    return
                self.page.keyboard.press("ArrowDown")
            raise AssertionError(f"could not choose {label!r} with the arrow keys")
        select.select_option(label=label)

    def attach(self, selector: str, files: list[dict]) -> None:
        field = self.page.locator(selector).first
        if self.mode == "keyboard":
            self._focus(field)
            with self.page.expect_file_chooser() as chooser:
                self.page.keyboard.press("Space")
            chooser.value.set_files(files)
        else:
            field.set_input_files(files)

    # -- signing in ----------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, step_offset: int = 0) -> None:
        self.go("/accounts/login/")
        self.fill("input[name=login]", email)
        self.fill("input[name=password]", password)
        self.press(re.compile(r"sign in", re.I))
        if "/2fa/authenticate" in self.page.url:
            self.fill("input[name=code]", totp_code(step_offset))
            self.press(re.compile(r"sign in|continue|confirm|verify", re.I))
        assert "/accounts/login" not in self.url and "/2fa/" not in self.url, self.text()
