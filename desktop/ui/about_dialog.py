"""Help → About: this app's release and API version beside the server's, as the server last said them."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from shared.version import API_VERSION, ServerVersion, package_version

NOT_ASKED = "not known: signed in offline, from the local cache"


class AboutDialog(QDialog):
    """Which app and which server are talking; what a support call asks first."""

    def __init__(
        self, server_url: str | None, server: ServerVersion | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Coaching Hub")
        self.app_version = QLabel(package_version())
        self.app_api_version = QLabel(API_VERSION)
        self.server_url = QLabel(server_url or "—")
        self.server_version = QLabel(server.server_version if server else NOT_ASKED)
        self.server_api_version = QLabel(server.api_version if server else NOT_ASKED)
        form = QFormLayout()
        form.addRow("App version", self.app_version)
        form.addRow("App speaks API", self.app_api_version)
        form.addRow("Server", self.server_url)
        form.addRow("Server version", self.server_version)
        form.addRow("Server API", self.server_api_version)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        title = QLabel("Coaching Hub")
        title.setObjectName("pageTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)
