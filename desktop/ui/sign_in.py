"""Sign-in dialog: server URL (remembered), email, password, remember me, and password reset."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services import Auth, Refused, ServiceError
from desktop.services.address import BadAddress, server_url
from desktop.settings import DEFAULT_SERVER_URL, DesktopSettings
from desktop.ui.async_slot import async_slot
from desktop.ui.field_note import FIELDS_MARKED, FieldNote, clear_notes, show_refusal
from desktop.ui.widgets import Banner, named
from shared.errors import ErrorCode
from shared.passwords import PASSWORD_MIN_LENGTH, password_problem

SIGN_IN_PAGE, RESET_REQUEST_PAGE, RESET_CONFIRM_PAGE = range(3)
SUBTITLES = {
    SIGN_IN_PAGE: "Sign in to see your team, scorecards and sessions.",
    RESET_REQUEST_PAGE: "Forgot your password? We mail you a link to choose a new one.",
    RESET_CONFIRM_PAGE: "Choose a new password with the link or token from the mail.",
}
NO_KEYCHAIN_NOTE = (
    "This computer has no system keychain. To stay signed in, tick both boxes: the sign-in is "
    "then kept in a file only you can read. Otherwise you sign in again at every start."
)


def reset_token(pasted: str) -> str:
    """The token from the whole ``coachhub://reset-password?token=…`` link, or the bare token."""
    text = pasted.strip()
    if "token=" not in text:
        return text
    tokens = parse_qs(urlsplit(text).query or text.split("?", 1)[-1]).get("token") or [""]
    return tokens[0].strip()


class SignInDialog(QDialog):
    """Signs in through ``AuthService``; emits ``sig_signed_in(Me)`` and accepts on success."""

    sig_signed_in = Signal(object)

    def __init__(self, auth: Auth, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._auth = auth
        self._settings = DesktopSettings(settings)
        self.setWindowTitle("Sign in — Coaching Hub")
        self.setMinimumWidth(480)

        title = named(QLabel("Coaching Hub"), "pageTitle")
        self.subtitle = named(QLabel(SUBTITLES[SIGN_IN_PAGE]), "pageSubtitle")
        self.banner = Banner()
        self.pages = QStackedWidget()
        self.pages.addWidget(self._sign_in_page())
        self.pages.addWidget(self._reset_request_page())
        self.pages.addWidget(self._reset_confirm_page())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages)

        auth.sig_credential_warning.connect(lambda text: self.banner.show_message(text, "warning"))
        # Enter anywhere in a page presses that page's action, never a link or another page's button.
        self._actions = (self.sign_in_button, self.send_reset_button, self.confirm_reset_button)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.sign_in_button.setDefault(True)

    # -- pages ------------------------------------------------------------------------------
    def _sign_in_page(self) -> QWidget:
        page = QWidget()
        self.server_url = QLineEdit(self._settings.server_url(DEFAULT_SERVER_URL))
        self.email = QLineEdit(self._settings.email())
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.remember.setChecked(self._settings.remember())
        self.plain_file = QCheckBox("Keep it in a file only I can read")
        self.plain_file.setChecked(self._settings.plain_file())
        self.plain_file.setEnabled(self.remember.isChecked())
        self.remember.toggled.connect(self.plain_file.setEnabled)
        # Said before the user ticks anything: without a keychain "keep me signed in" needs the file.
        self.keychain_note = named(QLabel(NO_KEYCHAIN_NOTE), "muted")
        self.keychain_note.setWordWrap(True)
        has_keychain = self._auth.keychain_available()
        self.keychain_note.setVisible(not has_keychain)
        self.plain_file.setVisible(not has_keychain)
        self.sign_in_button = named(QPushButton("Sign in"), "primary")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.forgot_button = named(QPushButton("Forgot password?"), "link")
        self.forgot_button.clicked.connect(lambda: self._show_page(RESET_REQUEST_PAGE))

        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Server", self.server_url)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        form.addRow("", self.plain_file)
        form.addRow("", self.keychain_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        return page

    def _reset_request_page(self) -> QWidget:
        intro = QLabel("Enter your email. We will send you a reset link with a token.")
        self.reset_email = QLineEdit()
        self.reset_email_note = FieldNote()
        self.send_reset_button = named(QPushButton("Send reset mail"), "primary")
        self.send_reset_button.clicked.connect(self.request_reset)
        have_token = named(QPushButton("I already have a token"), "link")
        have_token.clicked.connect(lambda: self._show_page(RESET_CONFIRM_PAGE))
        back = named(QPushButton("Back to sign in"), "link")
        back.clicked.connect(lambda: self._show_page(SIGN_IN_PAGE))
        rows = [("Email", self.reset_email), ("", self.reset_email_note)]
        return _reset_page(intro, rows, [back, have_token], self.send_reset_button)

    def _reset_confirm_page(self) -> QWidget:
        intro = QLabel(
            f"Paste the link from the mail (or just its token) and choose a new password of at least "
            f"{PASSWORD_MIN_LENGTH} characters."
        )
        self.reset_token = QLineEdit()
        self.reset_token.setPlaceholderText("coachhub://reset-password?token=…")
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_password = QLineEdit()
        self.repeat_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_reset_button = named(QPushButton("Set new password"), "primary")
        self.confirm_reset_button.clicked.connect(self.confirm_reset)
        back = named(QPushButton("Back to sign in"), "link")
        back.clicked.connect(lambda: self._show_page(SIGN_IN_PAGE))
        self.reset_notes = {"token": FieldNote(), "new_password": FieldNote()}
        rows = [
            ("Link or token", self.reset_token),
            ("", self.reset_notes["token"]),
            ("New password", self.new_password),
            ("", self.reset_notes["new_password"]),
            ("Repeat", self.repeat_password),
        ]
        return _reset_page(intro, rows, [back], self.confirm_reset_button)

    def _show_page(self, page: int) -> None:
        if page == RESET_REQUEST_PAGE and not self.reset_email.text():
            self.reset_email.setText(self.email.text())
        self.banner.hide()
        self.subtitle.setText(SUBTITLES[page])
        self._actions[page].setDefault(True)
        self.pages.setCurrentIndex(page)

    # -- actions ----------------------------------------------------------------------------
    def _server(self) -> str | None:
        """The typed address as a URL (``http://`` added); None, said in the banner, if it is none."""
        try:
            return server_url(self.server_url.text())
        except BadAddress as bad:
            self.banner.show_message(str(bad), "error")
            return None

    def _busy(self, busy: bool) -> None:
        for button in self._actions:
            button.setEnabled(not busy)

    @async_slot()
    async def sign_in(self) -> None:
        if not self.email.text().strip() or not self.password.text():
            self.banner.show_message("Enter your email and password.", "error")
            return
        server = self._server()
        if server is None:
            return
        self.server_url.setText(server)
        self._auth.allow_plain_file(self.remember.isChecked() and self.plain_file.isChecked())
        self._busy(True)
        try:
            me = await self._auth.sign_in(
                server, self.email.text().strip(), self.password.text(), self.remember.isChecked()
            )
        except ServiceError as error:
            self.banner.show_message(_sign_in_error(error), "error")
            # Disabling the clicked button moved the focus on; the password is what to retype.
            self.password.setFocus()
            self.password.selectAll()
            return
        finally:
            self._busy(False)
        self._settings.remember_sign_in(
            server, self.email.text().strip(), self.remember.isChecked(), self.plain_file.isChecked()
        )
        self.password.clear()
        self.sig_signed_in.emit(me)
        self.accept()

    @async_slot()
    async def request_reset(self) -> None:
        server = self._server()
        if server is None:
            return
        self._busy(True)
        try:
            await self._auth.request_password_reset(server, self.reset_email.text().strip())
        except ServiceError as error:
            show_refusal(error, {"email": self.reset_email_note}, self.banner)
            return
        finally:
            self._busy(False)
        self._show_page(RESET_CONFIRM_PAGE)
        self.banner.show_message(
            "If the address belongs to an account, a mail with a reset link is on its way.", "info"
        )

    @async_slot()
    async def confirm_reset(self) -> None:
        if self.new_password.text() != self.repeat_password.text():
            self.banner.show_message("The two passwords differ.", "error")
            return
        server = self._server()
        if server is None:
            return
        clear_notes(self.reset_notes)
        # The server's own rule, said under the field before the token is spent on a refusal.
        if (problem := password_problem(self.new_password.text())) is not None:
            self.reset_notes["new_password"].say(problem)
            self.banner.show_message(FIELDS_MARKED, "error")
            return
        self._busy(True)
        try:
            await self._auth.confirm_password_reset(
                server, reset_token(self.reset_token.text()), self.new_password.text()
            )
        except ServiceError as error:
            show_refusal(error, self.reset_notes, self.banner)
            return
        finally:
            self._busy(False)
        self.new_password.clear()
        self.repeat_password.clear()
        self.reset_token.clear()
        self._show_page(SIGN_IN_PAGE)
        self.banner.show_message("Password changed. Sign in with the new one.", "success")


def _sign_in_error(error: ServiceError) -> str:
    if isinstance(error, Refused) and error.code is ErrorCode.UNAUTHORIZED:
        return "Wrong email or password."
    if isinstance(error, Refused) and error.code is ErrorCode.RATE_LIMITED:
        return "Too many attempts. Wait a few minutes and try again."
    return error.detail


def _reset_page(
    intro: QLabel, rows: Sequence[tuple[str, QWidget]], links: Sequence[QPushButton], action: QPushButton
) -> QWidget:
    """A password-reset step: what to do, the fields for it, and the links left of its one action."""
    intro.setWordWrap(True)
    form = QFormLayout()
    for label, field in rows:
        form.addRow(label, field)
    buttons = QHBoxLayout()
    for link in links:
        buttons.addWidget(link)
    buttons.addStretch(1)
    buttons.addWidget(action)
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 8, 0, 0)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addLayout(buttons)
    return page
